"""Obtain a dbt manifest by running `dbt parse` in-process (dbtRunner).

dbt is imported only when parsing (runner.py), so commands that never parse stay fast.
Parsing uses a generated DuckDB in-memory profile: `dbt parse` needs a profile but no
warehouse, and CI must not need warehouse credentials to review a pull request.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from floe_ci.errors import FloeUsageError
from floe_ci.fsutil import write_atomic
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


def run_dbt_parse(project: DbtProject, state_dir: Path) -> Path:
    """Run `dbt parse` for the project and return the manifest path."""
    profiles_dir = write_parse_profile(project, state_dir)
    invocation = DbtInvocation("parse", project.path, profiles_dir, "parse", state_dir / "logs")
    outcome = invoke(invocation)
    if not outcome.success or not project.manifest_path.is_file():
        # dbt's exception when it raised one, else what its log says (a model's syntax error)
        reason = outcome.error or outcome.last_log_error().strip()
        raise FloeUsageError.single(
            str(project.path / "dbt_project.yml"),
            f"`dbt parse` failed: {reason}",
            hint=f"run `dbt parse` in {project.path} to see dbt's full output; log: "
            f"{invocation.log_file}",
        )
    return project.manifest_path


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
