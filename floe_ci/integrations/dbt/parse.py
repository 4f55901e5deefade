"""Obtain a dbt manifest by running `dbt parse` in-process (dbtRunner).

dbt is imported only when parsing (runner.py), so commands that never parse stay fast.
Parsing uses a generated DuckDB in-memory profile: `dbt parse` needs a profile but no
warehouse, and CI must not need warehouse credentials to review a pull request.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from floe_ci.errors import FloeUsageError
from floe_ci.fsutil import write_atomic
from floe_ci.integrations.dbt.packages import local_packages
from floe_ci.integrations.dbt.project import DbtProject, manifest_is_stale
from floe_ci.integrations.dbt.runner import DbtInvocation, invoke


def write_parse_profile(project: DbtProject, state_dir: Path) -> Path:
    """A profiles.yml whose only target is an in-memory DuckDB, enough for `dbt parse`."""
    profiles_dir = state_dir / "parse-profile"
    profile = {
        project.profile: {
            "target": "parse",
            "outputs": {"parse": {"type": "duckdb", "path": ":memory:", "threads": 1}},
        }
    }
    write_atomic(profiles_dir / "profiles.yml", yaml.safe_dump(profile, sort_keys=True))
    return profiles_dir


@dataclass(frozen=True)
class UserTarget:
    """A target of the user's own dbt profile (`check --compile-target NAME`)."""

    profiles_dir: Path
    name: str


def user_target(project: DbtProject, name: str, shown: str) -> UserTarget:
    """The user's profiles folder as dbt finds it (DBT_PROFILES_DIR, the project's folder,
    the working folder, ~/.dbt), checked to hold the project's profile and the target."""
    candidates = [os.environ.get("DBT_PROFILES_DIR"), project.path, Path.cwd(), _HOME_DBT]
    for candidate in candidates:
        if candidate and (Path(candidate) / "profiles.yml").is_file():
            folder = Path(candidate).resolve()
            break
    else:
        raise FloeUsageError.single(
            shown,
            f"--compile-target {name}: no profiles.yml found for dbt profile `{project.profile}`",
            hint="put profiles.yml in the dbt project's folder or ~/.dbt/, or set DBT_PROFILES_DIR",
        )
    try:
        profiles = yaml.safe_load((folder / "profiles.yml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise FloeUsageError.single(str(folder / "profiles.yml"), f"unreadable: {exc}") from None
    profile = profiles.get(project.profile) if isinstance(profiles, dict) else None
    outputs = profile.get("outputs") if isinstance(profile, dict) else None
    if not isinstance(outputs, dict) or name not in outputs:
        known = ", ".join(sorted(map(str, outputs))) if isinstance(outputs, dict) else "none"
        raise FloeUsageError.single(
            str(folder / "profiles.yml"),
            f"--compile-target {name}: profile `{project.profile}` has no target `{name}`",
            hint=f"targets of that profile: {known}",
        )
    return UserTarget(folder, name)


_HOME_DBT = Path.home() / ".dbt"


def run_dbt_parse(project: DbtProject, state_dir: Path, target: UserTarget | None = None) -> Path:
    """Run `dbt parse` for the project and return the manifest path.

    With `target` (`check --compile-target`), dbt runs `docs generate` with that target of
    the user's profile instead: one dbt run that parses, compiles every model against the
    warehouse (macros such as `fill_staging_columns` read it) and writes catalog.json with
    the columns of the sources and built relations, into a target folder of floe-ci's own.
    That costs about 1.25x a parse (HubSpot's corpus project), where a parse followed by a
    `dbt compile` of the models that read the warehouse cost 1.6x."""
    if target is None:
        profiles_dir, target_name = write_parse_profile(project, state_dir), "parse"
        command = "parse"
    else:
        profiles_dir, target_name = target.profiles_dir, target.name
        command = "docs generate"
    if target is not None:  # floe-ci's own folder: a failed run leaves no older files
        project.manifest_path.unlink(missing_ok=True)
        catalog_path(project).unlink(missing_ok=True)
    invocation = DbtInvocation(
        command,
        project.path,
        profiles_dir,
        target_name,
        state_dir / "logs",
        # a user target's parse goes to a folder of its own (app/check)
        target_path=None if target is None else project.path / project.target_path,
    )
    outcome = invoke(invocation, release=target is not None)
    # `docs generate` fails as a whole when one model does not compile, after writing the
    # manifest: the models it compiled are kept, the others are compiled one by one later.
    if not project.manifest_path.is_file() or (target is None and not outcome.success):
        # dbt's exception when it raised one, else what its log says (a model's syntax error)
        reason = outcome.error or outcome.last_log_error().strip()
        raise FloeUsageError.single(
            str(project.path / "dbt_project.yml"),
            f"`dbt {command}` failed: {reason}",
            hint=f"run `dbt {command}` in {project.path} to see dbt's full output; log: "
            f"{invocation.log_file}",
        )
    return project.manifest_path


def catalog_path(project: DbtProject) -> Path:
    """Where `dbt docs generate` writes catalog.json (beside the manifest)."""
    return project.manifest_path.with_name("catalog.json")


def ensure_manifest(
    project: DbtProject,
    state_dir: Path,
    refresh: bool = False,
    target: UserTarget | None = None,
    *,
    parsing: Callable[[], AbstractContextManager[object]] = contextlib.nullcontext,
) -> Path:
    """The project's manifest, re-parsed when missing, stale, or `refresh` is asked for.

    `parsing` wraps the parse when one runs (the application's progress step)."""
    if refresh or manifest_is_stale(project, local_packages(project.path)):
        with parsing():
            return run_dbt_parse(project, state_dir, target)
    return project.manifest_path


def load_manifest(path: Path) -> dict[str, Any]:
    from floe_ci.integrations.dbt.manifest_file import read_manifest

    return read_manifest(path)  # checked: every bad shape is a located usage error
