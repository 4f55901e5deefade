"""Seeds' columns, from the header of their CSV file, in the package that holds the seed."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from floe_ci.integrations.dbt.project import DbtProject


def seed_columns(
    manifest: Mapping[str, Any], project: DbtProject | None
) -> dict[str, list[str] | None]:
    """unique_id -> the lower-cased CSV header of every seed of the manifest (None: unreadable)."""
    return {
        uid: _seed_header(node, project)
        for uid, node in (manifest.get("nodes") or {}).items()
        if node.get("resource_type") == "seed"
    }


def _seed_header(node: Mapping[str, Any], project: DbtProject | None) -> list[str] | None:
    root = Path(str(node.get("root_path"))) if node.get("root_path") else None
    root = project.path if project is not None else root
    path = node.get("original_file_path")
    if root is None or not isinstance(path, str):
        return None
    try:
        with open(root / path, newline="", encoding="utf-8-sig") as handle:
            header = next(csv.reader(handle), None)
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    return [h.strip().lower() for h in header] if header else None
