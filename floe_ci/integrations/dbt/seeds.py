"""Seeds' columns, from the header of their CSV file, in the package that holds the seed."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from floe_ci.dbt_manifest import Manifest, ManifestNode
from floe_ci.integrations.dbt.packages import package_roots
from floe_ci.integrations.dbt.project import DbtProject


def seed_columns(
    manifest: Mapping[str, Any] | Manifest,
    project: DbtProject | None,
    packages: Mapping[str, Path] | None = None,
) -> dict[str, list[str] | None]:
    """unique_id -> the lower-cased CSV header of every seed of the manifest (None: unreadable).

    A seed's `original_file_path` is relative to its package's folder: `packages` maps
    package names to folders (packages.package_roots, computed from `project` when None).
    """
    view = manifest if isinstance(manifest, Manifest) else Manifest(manifest)
    if packages is None:
        packages = package_roots(project) if project is not None else {}
    return {uid: _seed_header(node, project, packages) for uid, node in view.seeds().items()}


def _seed_header(
    node: ManifestNode, project: DbtProject | None, packages: Mapping[str, Path]
) -> list[str] | None:
    root = packages.get(str(node.get("package_name") or ""))
    if root is None and project is not None:
        root = project.path
    if root is None and node.get("root_path"):  # manifests before dbt 1.5 name it
        root = Path(str(node.get("root_path")))
    path = node.original_file_path
    if root is None or path is None:
        return None
    try:
        with open(root / path, newline="", encoding="utf-8-sig") as handle:
            header = next(csv.reader(handle), None)
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    return [h.strip().lower() for h in header] if header else None
