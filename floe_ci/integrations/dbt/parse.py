"""Obtain a dbt manifest by running `dbt parse` in-process (dbtRunner).

dbt is imported only here, inside the function, so commands that never parse stay fast.
Parsing uses a generated DuckDB in-memory profile: `dbt parse` needs a profile but no
warehouse, and CI must not need warehouse credentials to review a pull request.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from floe_ci.errors import FloeUsageError
from floe_ci.fsutil import write_atomic
from floe_ci.integrations.dbt.project import DbtProject, manifest_is_stale

# dbt phones home for version checks and usage statistics unless told not to.
_OFFLINE_ENV = {"DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}


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


def run_dbt_parse(project: DbtProject, state_dir: Path) -> Path:
    """Run `dbt parse` for the project and return the manifest path."""
    for key, value in _OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
    profiles_dir = write_parse_profile(project, state_dir)
    log_dir = state_dir / "logs"
    from dbt.cli.main import dbtRunner  # heavy (about 1.5 s): import only when parsing

    args = [
        "parse",
        "--project-dir",
        str(project.path),
        "--profiles-dir",
        str(profiles_dir),
        "--target",
        "parse",
        "--no-version-check",
        "--log-path",
        str(log_dir),
        "--log-level",
        "none",
        "--log-level-file",
        "info",
    ]
    result = dbtRunner().invoke(args)
    if not result.success or not project.manifest_path.is_file():
        reason = str(result.exception) if result.exception else _last_error(log_dir)
        raise FloeUsageError.single(
            str(project.path / "dbt_project.yml"),
            f"`dbt parse` failed: {reason.strip()}",
            hint=f"run `dbt parse` in {project.path} to see dbt's full output; log: "
            f"{log_dir / 'dbt.log'}",
        )
    return project.manifest_path


def _last_error(log_dir: Path) -> str:
    log = log_dir / "dbt.log"
    if not log.is_file():
        return "dbt reported no reason"
    lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    errors = [line for line in lines if "error" in line.lower()]
    return (errors or lines or ["dbt reported no reason"])[-1]


def ensure_manifest(project: DbtProject, state_dir: Path, refresh: bool = False) -> Path:
    """The project's manifest, re-parsed when missing, stale, or `refresh` is asked for."""
    if refresh or manifest_is_stale(project):
        return run_dbt_parse(project, state_dir)
    return project.manifest_path


def load_manifest(path: Path) -> dict[str, Any]:
    from floe_ci import fastjson

    try:
        data = fastjson.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise FloeUsageError.single(
            str(path),
            f"cannot read dbt manifest: {exc}",
            hint="delete it and run again; floe-ci re-creates it with `dbt parse`",
        ) from None
    if not isinstance(data, dict) or "nodes" not in data:
        raise FloeUsageError.single(str(path), "not a dbt manifest (no `nodes`)")
    return data
