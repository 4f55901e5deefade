"""Find where a model's column is declared in its dbt properties YAML (file and line)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from floe_ci.errors import FloeUsageError
from floe_ci.fsutil import load_located_file
from floe_ci.spec.yaml_positions import LocatedDocument

# Properties files of big projects are generated and large; floe.yaml's limits are too tight.
_MAX_BYTES = 256 * 1024 * 1024
_MAX_NODES = 50_000_000


class ColumnLocations:
    """Locates columns in properties files, reading each file at most once.

    Paths it returns are relative to `display_root` (the folder holding floe.yaml) so that
    annotations and SARIF results point at files in the repository.
    """

    def __init__(self, project_dir: Path, display_root: Path) -> None:
        self.project_dir = project_dir
        self.display_root = display_root
        self._documents: dict[str, LocatedDocument | None] = {}

    def __call__(self, node: Mapping[str, Any], column: str) -> tuple[str | None, int | None]:
        relative = _patch_path(node)
        if relative is None:
            return self._display(str(node.get("original_file_path") or "")) or None, None
        document = self._document(relative)
        shown = self._display(relative)
        if document is None or not isinstance(document.data, dict):
            return shown, None
        for section in ("models", "seeds", "snapshots"):
            entries = document.data.get(section)
            if not isinstance(entries, list):
                continue
            for index, entry in enumerate(entries):
                if not isinstance(entry, dict) or entry.get("name") != node.get("name"):
                    continue
                line = self._column_line(document, entry, (section, index), column)
                if line is not None:
                    return shown, line
                model_pos = document.positions.get((section, index))
                return shown, model_pos.line if model_pos else None
        return shown, None

    def _column_line(
        self, document: LocatedDocument, entry: dict[str, Any], path: tuple[str, int], column: str
    ) -> int | None:
        columns = entry.get("columns")
        if not isinstance(columns, list):
            return None
        for index, item in enumerate(columns):
            if isinstance(item, dict) and str(item.get("name", "")).lower() == column.lower():
                pos = document.positions.get((*path, "columns", index))
                return pos.line if pos else None
        return None

    def _document(self, relative: str) -> LocatedDocument | None:
        if relative not in self._documents:
            try:
                self._documents[relative] = load_located_file(
                    self.project_dir / relative, relative, _MAX_BYTES, _MAX_NODES
                )
            except FloeUsageError:
                self._documents[relative] = None  # dbt parsed it; a location is a nicety
        return self._documents[relative]

    def _display(self, relative: str) -> str:
        full = (self.project_dir / relative).resolve()
        try:
            return full.relative_to(self.display_root.resolve()).as_posix()
        except ValueError:
            return full.as_posix()


def _patch_path(node: Mapping[str, Any]) -> str | None:
    patch = node.get("patch_path")
    if not isinstance(patch, str) or not patch:
        return None
    return patch.split("://", 1)[1] if "://" in patch else patch
