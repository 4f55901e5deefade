"""The dbt manifest as the deployment sees it, and its fingerprint.

`floe-ci compile` parses with an in-memory DuckDB profile (no credentials needed in review),
so its relation names (`"memory"."main"."orders"`) are not the warehouse's. Cube must read
the real tables: after `dbt build` the project's own manifest has them; without a build
(--dry-run, --skip-dbt) `dbt parse` runs once more with the deployment's generated profile,
into `.floe/deploy/target/` (parse connects to no warehouse).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from floe_ci.artifacts import CompiledArtifacts
from floe_ci.dbt_manifest import Manifest
from floe_ci.errors import FloeUsageError
from floe_ci.integrations.dbt.runner import DbtInvocation, invoke

DEPLOY_TARGET = Path(".floe") / "deploy" / "target"


def parse_with_profile(artifacts: CompiledArtifacts, project_root: Path) -> Path:
    """`dbt parse` with the generated deployment profile; the manifest's path."""
    from floe_ci.integrations.dbt.profiles import dbt_project_dir, profile_target, write_profiles

    target_dir = project_root / DEPLOY_TARGET
    invocation = DbtInvocation(
        "parse",
        dbt_project_dir(artifacts, project_root),
        write_profiles(artifacts, project_root),
        profile_target(artifacts),
        project_root / ".floe" / "logs",
        target_path=target_dir,
    )
    outcome = invoke(invocation, release=True)
    manifest = target_dir / "manifest.json"
    if not outcome.success or not manifest.is_file():
        reason = (outcome.error or "see the log").splitlines()[0]
        raise FloeUsageError.single(
            "floe.yaml",
            f"`dbt parse` with the deployment profile failed: {reason}",
            hint="the deployment's credentials must be in the environment "
            "(names: `floe-ci compile` writes them to .floe/profiles); "
            f"log: {invocation.log_file}",
        )
    return manifest


def manifest_checksum(manifest: Mapping[str, Any]) -> str:
    """sha256 over every node's own dbt checksum: the same code gives the same value,
    whatever the run (unlike the file, which carries timestamps and invocation ids)."""
    digest = hashlib.sha256()
    for unique_id, node in sorted(Manifest(manifest).nodes.items()):
        digest.update(f"{unique_id}={node.checksum or ''}\n".encode())
    return "sha256:" + digest.hexdigest()
