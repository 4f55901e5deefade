"""Find where a model's column is declared in its dbt properties YAML (file and line)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from floe_ci.errors import FloeUsageError
from floe_ci.fsutil import load_located_file
from floe_ci.integrations.dbt.packages import package_file
from floe_ci.spec.yaml_positions import LocatedDocument

# Properties files of big projects are generated and large; floe.yaml's limits are too tight.
_MAX_BYTES = 256 * 1024 * 1024
_MAX_NODES = 50_000_000


class ColumnLocations:
    """Locates columns in properties files, reading each file at most once.

    Paths it returns are relative to `display_root` (the folder holding floe.yaml) so that
    annotations and SARIF results point at files in the repository. A node's paths are
    relative to its package's folder, looked up in `packages` (packages.package_roots);
    a package not listed is taken to be the project itself.
    """

    def __init__(
        self,
        project_dir: Path,
        display_root: Path,
        packages: Mapping[str, Path] | None = None,
    ) -> None:
        self.project_dir = project_dir
        self.display_root = display_root
        self.packages: Mapping[str, Path] = packages or {}
        self._documents: dict[Path, LocatedDocument | None] = {}

    def file_of(self, node: Mapping[str, Any], relative: str) -> Path:
        """The absolute path of a file named relative to the node's package."""
        return package_file(self.packages, self.project_dir, node, relative)

    def __call__(self, node: Mapping[str, Any], column: str) -> tuple[str | None, int | None]:
        if node.get("resource_type") == "source":
            return self._source(node, column)
        relative = _patch_path(node)
        if relative is None:
            sql = str(node.get("original_file_path") or "")
            return (self._display(self.file_of(node, sql)) if sql else None), None
        full = self.file_of(node, relative)
        document = self._document(full)
        shown = self._display(full)
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

    def _source(self, node: Mapping[str, Any], column: str) -> tuple[str | None, int | None]:
        """A source's column: `sources: [{name, tables: [{name, columns}]}]` in the file
        that declares it (its original_file_path; sources have no patch_path)."""
        relative = str(node.get("original_file_path") or "")
        if not relative:
            return None, None
        full = self.file_of(node, relative)
        document = self._document(full)
        shown = self._display(full)
        entries = document.data.get("sources") if document is not None else None
        if document is None or not isinstance(entries, list):
            return shown, None
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict) or entry.get("name") != node.get("source_name"):
                continue
            tables = entry.get("tables")
            for number, table in enumerate(tables if isinstance(tables, list) else []):
                if not isinstance(table, dict) or table.get("name") != node.get("name"):
                    continue
                path = ("sources", index, "tables", number)
                line = self._column_line(document, table, path, column)
                table_pos = document.positions.get(path)
                return shown, line if line is not None else table_pos.line if table_pos else None
        return shown, None

    def _column_line(
        self,
        document: LocatedDocument,
        entry: dict[str, Any],
        path: tuple[str | int, ...],
        column: str,
    ) -> int | None:
        columns = entry.get("columns")
        if not isinstance(columns, list):
            return None
        for index, item in enumerate(columns):
            if isinstance(item, dict) and str(item.get("name", "")).lower() == column.lower():
                pos = document.positions.get((*path, "columns", index))
                return pos.line if pos else None
        return None

    def _document(self, full: Path) -> LocatedDocument | None:
        if full not in self._documents:
            try:
                self._documents[full] = load_located_file(full, str(full), _MAX_BYTES, _MAX_NODES)
            except FloeUsageError:
                self._documents[full] = None  # dbt parsed it; a location is a nicety
        return self._documents[full]

    def _display(self, path: Path) -> str:
        # `../models/x.yml` for a local package above floe.yaml's folder
        full = path.resolve()
        try:
            return Path(os.path.relpath(full, self.display_root.resolve())).as_posix()
        except ValueError:  # another drive (Windows)
            return full.as_posix()


def _patch_path(node: Mapping[str, Any]) -> str | None:
    patch = node.get("patch_path")
    if not isinstance(patch, str) or not patch:
        return None
    return patch.split("://", 1)[1] if "://" in patch else patch
