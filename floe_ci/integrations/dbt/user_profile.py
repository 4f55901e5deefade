"""Read the target of the user's own dbt profile that a project uses (for `init --existing`).

Only settings leave this module: every credential is dropped (a literal) or kept as the
`{{ env_var('NAME') }}` reference the user wrote, so no secret value is ever copied.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from floe_ci.errors import FloeUsageError
from floe_ci.integrations.dbt.project import DbtProject
from floe_ci.spec.secrets import is_secret_key, looks_like_secret_value

# Keys of dbt adapters' credentials: never copied as values (only env_var references are).
CREDENTIAL_KEYS = frozenset(
    {
        "user",
        "username",
        "password",
        "pass",
        "token",
        "private_key",
        "private_key_path",
        "private_key_passphrase",
        "keyfile",
        "keyfile_json",
        "client_secret",
        "client_id",
        "refresh_token",
        "motherduck_token",
        "api_key",
        "secret",
        "access_key",
        "secret_key",
        "session_token",
        "oauth_client_secret",
        "connection_string",
    }
)
_ENV_ONLY = re.compile(r"^\s*\{\{\s*env_var\(\s*['\"][A-Za-z_][A-Za-z0-9_]*['\"]\s*\)\s*\}\}\s*$")
# dbt's own keys of an output, not adapter settings.
_NOT_PROPERTIES = frozenset({"type"})


@dataclass(frozen=True)
class ProfileTarget:
    """One output of the user's profiles.yml, with its credentials taken out."""

    profiles_file: Path
    profile: str
    target: str
    adapter: str
    settings: dict[str, Any]
    dropped: tuple[str, ...] = field(default=())  # credential keys whose literal was dropped


def profiles_dir_candidates(project: DbtProject) -> list[Path]:
    """Where dbt looks for profiles.yml, in its order (DBT_PROFILES_DIR, project, cwd, ~/.dbt)."""
    found = [os.environ.get("DBT_PROFILES_DIR"), project.path, Path.cwd(), Path.home() / ".dbt"]
    return [Path(p) for p in found if p]


def read_profile_target(project: DbtProject, target: str | None = None) -> ProfileTarget:
    """The project's profile target (its default target unless `target` names one)."""
    for folder in profiles_dir_candidates(project):
        file = folder / "profiles.yml"
        if file.is_file():
            break
    else:
        raise FloeUsageError.single(
            str(project.path / "dbt_project.yml"),
            f"no profiles.yml found for dbt profile `{project.profile}`",
            hint="put profiles.yml in the dbt project's folder or ~/.dbt/, or set "
            "DBT_PROFILES_DIR (as `dbt debug` needs it too)",
        )
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise FloeUsageError.single(str(file), f"unreadable profiles.yml: {exc}") from None
    profile = data.get(project.profile) if isinstance(data, dict) else None
    if not isinstance(profile, dict) or not isinstance(profile.get("outputs"), dict):
        known = (
            ", ".join(sorted(k for k in data if k != "config")) if isinstance(data, dict) else ""
        )
        raise FloeUsageError.single(
            str(file),
            f"no profile `{project.profile}` with `outputs` (named by dbt_project.yml)",
            hint=f"profiles in this file: {known or 'none'}",
        )
    outputs = profile["outputs"]
    name = target or str(profile.get("target") or "")
    if name not in outputs:
        raise FloeUsageError.single(
            str(file),
            f"profile `{project.profile}` has no target `{name}`",
            hint=f"its targets: {', '.join(sorted(map(str, outputs)))}; choose one with --target",
        )
    output = outputs[name]
    if not isinstance(output, dict) or not isinstance(output.get("type"), str):
        raise FloeUsageError.single(
            str(file), f"target `{name}` of profile `{project.profile}` has no `type`"
        )
    settings: dict[str, Any] = {}
    dropped: list[str] = []
    for key, value in output.items():
        if key in _NOT_PROPERTIES:
            continue
        secret_value = isinstance(value, str) and looks_like_secret_value(value)
        if str(key).lower() in CREDENTIAL_KEYS or is_secret_key(str(key)) or secret_value:
            if isinstance(value, str) and _ENV_ONLY.match(value):
                settings[str(key)] = value.strip()  # a reference, not a value
            else:
                dropped.append(str(key))
            continue
        settings[str(key)] = value
    return ProfileTarget(
        file, project.profile, name, str(output["type"]), settings, tuple(sorted(dropped))
    )
