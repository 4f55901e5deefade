"""Seeds' columns, from the header of their CSV file, in the package that holds the seed."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from floe_ci.dbt_manifest import Manifest, ManifestNode
from floe_ci.integrations.dbt.project import DbtProject


def seed_columns(
    manifest: Mapping[str, Any] | Manifest, project: DbtProject | None
) -> dict[str, list[str] | None]:
    """unique_id -> the lower-cased CSV header of every seed of the manifest (None: unreadable)."""
    view = manifest if isinstance(manifest, Manifest) else Manifest(manifest)
    return {uid: _seed_header(node, project) for uid, node in view.seeds().items()}


def _seed_header(node: ManifestNode, project: DbtProject | None) -> list[str] | None:
    root = Path(str(node.get("root_path"))) if node.get("root_path") else None
    root = project.path if project is not None else root
    path = node.original_file_path
    if root is None or path is None:
        return None
    try:
        with open(root / path, newline="", encoding="utf-8-sig") as handle:
            header = next(csv.reader(handle), None)
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    return [h.strip().lower() for h in header] if header else None
