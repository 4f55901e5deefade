"""The dbt manifest as the deployment sees it, and its fingerprint.

`floe-ci compile` parses with an in-memory DuckDB profile (no credentials needed in review),
so its relation names (`"memory"."main"."orders"`) are not the warehouse's. Cube must read
the real tables: after `dbt build` the project's own manifest has them; without a build
(--dry-run, --skip-dbt) `dbt parse` runs once more with the deployment's generated profile,
into `.floe/deploy/target/` (parse connects to no warehouse).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from floe_ci.artifacts import CompiledArtifacts
from floe_ci.errors import FloeUsageError

DEPLOY_TARGET = Path(".floe") / "deploy" / "target"


def parse_with_profile(artifacts: CompiledArtifacts, project_root: Path) -> Path:
    """`dbt parse` with the generated deployment profile; the manifest's path."""
    from floe_ci.integrations.dbt.executor import release_duckdb
    from floe_ci.integrations.dbt.profiles import dbt_project_dir, profile_target, write_profiles

    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    profiles_dir = write_profiles(artifacts, project_root)
    target_dir = project_root / DEPLOY_TARGET
    log_dir = project_root / ".floe" / "logs"
    from dbt.cli.main import dbtRunner  # heavy: only when a deploy needs it

    args = [
        "parse",
        "--project-dir",
        str(dbt_project_dir(artifacts, project_root)),
        "--profiles-dir",
        str(profiles_dir),
        "--target",
        profile_target(artifacts),
        "--target-path",
        str(target_dir),
        "--no-version-check",
        "--log-path",
        str(log_dir),
        "--log-level",
        "none",
        "--log-level-file",
        "info",
    ]
    try:
        outcome = dbtRunner().invoke(args)
    finally:
        release_duckdb()
    manifest = target_dir / "manifest.json"
    if not outcome.success or not manifest.is_file():
        reason = str(outcome.exception or "see the log").strip().splitlines()[0]
        raise FloeUsageError.single(
            "floe.yaml",
            f"`dbt parse` with the deployment profile failed: {reason}",
            hint="the deployment's credentials must be in the environment "
            f"(names: `floe-ci compile` writes them to .floe/profiles); log: {log_dir / 'dbt.log'}",
        )
    return manifest


def manifest_checksum(manifest: Mapping[str, Any]) -> str:
    """sha256 over every node's own dbt checksum: the same code gives the same value,
    whatever the run (unlike the file, which carries timestamps and invocation ids)."""
    digest = hashlib.sha256()
    for section in ("nodes",):
        for unique_id, node in sorted((manifest.get(section) or {}).items()):
            checksum = (node.get("checksum") or {}).get("checksum", "")
            digest.update(f"{unique_id}={checksum}\n".encode())
    return "sha256:" + digest.hexdigest()
