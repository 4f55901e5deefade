"""`floe-ci init --existing`: a floe.yaml for a dbt project that already exists.

The compute block comes from the dbt profile the project uses (settings only: credentials
become `connection_secret_ref`, or stay the `env_var()` references the user wrote), the
transform points at the project, and the governance block holds a policy for every
classification `floe-ci classify` proposes. The text is validated before it is written,
and an existing floe.yaml is never overwritten.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from floe_ci.errors import FloeUsageError
from floe_ci.fsutil import write_atomic
from floe_ci.integrations.dbt.project import read_project
from floe_ci.integrations.dbt.user_profile import ProfileTarget, read_profile_target
from floe_ci.spec.loader import parse_spec
from floe_ci.spec.models import ComputeTarget

SCHEMA_COMMENT = (
    "# yaml-language-server: $schema="
    "https://raw.githubusercontent.com/floe/action/v1/schemas/floe.schema.json\n"
)
# What each proposed classification does, production first (README: governance).
_POLICIES: dict[str, dict[str, Any]] = {
    "pii": {
        "production": {"action": "restrict", "requires_role": ["pii_reader"]},
        "non_production": {"action": "mask"},
    },
    "financial": {
        "production": {"action": "restrict", "requires_role": ["finance_reader"]},
        "non_production": {"action": "redact"},
    },
}
_ADAPTER_PREFIX = re.compile(r"[^a-z0-9_-]+")


@dataclass(frozen=True)
class ExistingProject:
    """What `init --existing` wrote and what the user should know about it."""

    config: Path
    dbt_project: Path
    profile: ProfileTarget
    secret_ref: str | None
    ignored: tuple[str, ...] = ()  # the entries added to `.gitignore`
    tracked: tuple[str, ...] = ()  # those of them git tracks files in: ignoring is not enough


def init_existing(
    directory: Path, dbt_path: Path | None = None, target: str | None = None
) -> ExistingProject:
    """Write `directory/floe.yaml` for the dbt project at `dbt_path` (default: `directory`)."""
    config = directory / "floe.yaml"
    if config.exists():
        raise FloeUsageError.single(
            str(config),
            "floe.yaml already exists; nothing was changed",
            hint="edit it, or remove it and run `floe-ci init --existing` again",
        )
    project_dir = dbt_path or directory
    if not (project_dir / "dbt_project.yml").is_file():
        raise FloeUsageError.single(
            str(project_dir),
            "no dbt_project.yml here: `--existing` adopts a dbt project",
            hint="run it in the folder of dbt_project.yml, or pass --dbt PATH",
        )
    project = read_project(project_dir, str(project_dir / "dbt_project.yml"))
    profile = read_profile_target(project, target)
    adapter = profile.adapter.lower()
    if adapter not in {t.value for t in ComputeTarget}:
        raise FloeUsageError.single(
            str(profile.profiles_file),
            f"target `{profile.target}` uses the dbt adapter `{adapter}`, which floe-ci "
            "does not support",
            hint="supported: " + ", ".join(t.value for t in ComputeTarget),
        )
    secret_ref = _secret_ref(project.profile) if profile.dropped else None
    text = render_config(
        _pipeline_name(project.name),
        adapter,
        profile,
        _relative(project_dir, directory),
        secret_ref,
        target,
    )
    # Validated as floe-ci will read it, before anything is on disk.
    parse_spec(text.encode(), config, str(config))
    # .gitignore first: should it fail, floe.yaml is not there yet and a second run works
    state = [".floe/", _relative_target(directory, project_dir, project.target_path)]
    entries = [entry for entry in state if entry is not None]
    ignored = keep_out_of_git(directory, entries)
    write_atomic(config, text)
    tracked = tracked_folders(directory, entries)
    return ExistingProject(config, project_dir, profile, secret_ref, ignored, tracked)


def tracked_folders(directory: Path, entries: list[str]) -> tuple[str, ...]:
    """Those of `entries` (folders relative to `directory`) holding files git tracks: a
    `.gitignore` entry does not untrack them (`git rm -r --cached` does)."""
    from floe_ci.integrations.git.trusted_state import committed_state

    files = committed_state(directory, tuple(entry.rstrip("/") for entry in entries))
    return tuple(e for e in entries if any(f.startswith(e.rstrip("/") + "/") for f in files))


GITIGNORE_HEADER = "# floe-ci's state and dbt's target: never committed (floe-ci init --existing)\n"


def keep_out_of_git(directory: Path, entries: list[str]) -> tuple[str, ...]:
    """Add to `directory/.gitignore` those of `entries` (folders relative to it) that git
    does not ignore yet; returns them. A committed `.floe/` is distrusted by every check
    (parsed again, caches empty) and dbt's `target/` is build output, so adopting a project
    must not leave them to a later `git add -A`. The file's other lines are kept as they
    are."""
    missing = [entry for entry in entries if not _ignored(directory, entry)]
    if not missing:
        return ()
    path = directory / ".gitignore"
    try:
        before = path.read_bytes()  # bytes: the file's own line endings are kept
    except FileNotFoundError:
        before = b""
    except OSError as exc:
        raise FloeUsageError.single(
            str(path),
            f"cannot read .gitignore: {exc.strerror or exc}",
            hint="add `.floe/` and dbt's `target/` to it yourself",
        ) from None
    newline = b"\r\n" if b"\r\n" in before else b"\n"
    added = [GITIGNORE_HEADER.rstrip("\n"), *missing]
    text = b"".join(line.encode() + newline for line in added)
    if before:
        text = (before if before.endswith(b"\n") else before + newline) + newline + text
    write_atomic(path, text)
    return tuple(missing)


def _ignored(directory: Path, entry: str) -> bool:
    """Whether the repository's ignore files make git ignore the folder `entry` of
    `directory` (not this machine's global excludes); outside a repository (or without
    git), whether `.gitignore` lists it."""
    try:
        probe = subprocess.run(
            # the repository's .gitignore files only: an entry in this machine's global
            # excludes would leave it to a teammate's or CI's `git add -A`
            ["git", "-c", "core.excludesFile=", "check-ignore", "-q", "--no-index", entry],
            cwd=directory,
            capture_output=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        probe = None
    if probe is not None and probe.returncode in (0, 1):
        return probe.returncode == 0
    try:
        lines = (directory / ".gitignore").read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return False
    name = entry.strip("/")
    return any(line.strip().strip("/") == name for line in lines)


def _relative_target(directory: Path, project_dir: Path, target_path: str) -> str | None:
    """dbt's target folder relative to floe.yaml's folder, None when it lies outside it."""
    target = (project_dir / target_path).resolve()
    try:
        return target.relative_to(directory.resolve()).as_posix() + "/"
    except ValueError:
        return None


def render_config(
    name: str,
    adapter: str,
    profile: ProfileTarget,
    transform_path: str,
    secret_ref: str | None,
    target: str | None,
) -> str:
    compute: dict[str, Any] = {"target": adapter}
    if secret_ref:
        compute["connection_secret_ref"] = secret_ref
    if profile.settings:
        compute["properties"] = dict(profile.settings)
    transform: dict[str, Any] = {"type": "dbt", "path": transform_path}
    if target:
        transform["target"] = target
    lines = [
        SCHEMA_COMMENT,
        f"# Written by `floe-ci init --existing` from dbt profile `{profile.profile}`, target "
        f"`{profile.target}`\n# of {profile.profiles_file.resolve()}.\n"
        "# Credentials are never copied: they are named (connection_secret_ref, env_var()).\n",
        _dump({"name": name, "version": "1.0"}),
        "\n",
        _dump({"compute": compute}),
        "\n",
        _dump({"transforms": [transform]}),
        "\n",
        "# A policy for each classification `floe-ci classify` proposes: `pii` (personal data)\n"
        "# and `financial` (card and bank account numbers). Adjust the roles to your warehouse.\n",
        _dump({"governance": {"classification_source": "dbt_meta", "policies": _POLICIES}}),
    ]
    return "".join(lines)


def _dump(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False, width=100)


def _pipeline_name(project_name: str) -> str:
    """The dbt project's name as a pipeline name (lower case, `-`/`_`, at most 63)."""
    name = _ADAPTER_PREFIX.sub("-", project_name.lower()).strip("-_")[:63].strip("-_")
    return name or "pipeline"


def _secret_ref(profile: str) -> str:
    return "DBT_" + re.sub(r"[^A-Za-z0-9]+", "_", profile).strip("_").upper()


def _relative(path: Path, start: Path) -> str:
    return Path(os.path.relpath(path.resolve(), start.resolve())).as_posix()
