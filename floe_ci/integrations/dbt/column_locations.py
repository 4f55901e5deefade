"""Find a column's line in its properties YAML quickly, for thousands of findings.

Composing every properties file with positions (ColumnLocations) costs ~70 ms per 100-model
file; a line scan of the usual block-style YAML costs a fraction of that. The scan only
answers when it is sure (block-style `- name:` items at the expected indents); anything else
(flow style, anchors, a model or column it did not see) falls back to ColumnLocations.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from floe_ci.integrations.dbt.properties import ColumnLocations

_SECTIONS = ("models", "seeds", "snapshots")


@dataclass
class _Entry:
    line: int
    columns: dict[str, int] = field(default_factory=dict)  # lower-case name -> line


def _name(raw: str) -> str:
    value = raw.split(" #", 1)[0].strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1]
    return value


# Only the lines that shape the structure: `- name:` items and keys without a value
# (`models:`, `columns:`, `meta:`...). Everything else is skipped at regex speed.
_EVENT = re.compile(
    r"^(?P<indent> *)(?:-[ \t]+name:[ \t]*(?P<name>.*?)|(?P<key>[A-Za-z_][\w-]*):[ \t]*(?:#.*)?)"
    r"[ \t]*$",
    re.MULTILINE,
)


def scan_properties(text: str) -> dict[str, _Entry]:
    """Model name -> its line and its columns' lines, for block-style properties YAML."""
    entries: dict[str, _Entry] = {}
    section: str | None = None
    model: _Entry | None = None
    model_indent: int | None = None
    columns_indent: int | None = None  # indent of the `columns:` key of the current model
    column_indent: int | None = None  # indent of its `- name:` items
    checkpoint = 0  # where the columns list was last known to continue
    line, counted = 1, 0
    for match in _EVENT.finditer(text):
        line += text.count("\n", counted, match.start())
        counted = match.start()
        indent = len(match.group("indent"))
        key = match.group("key")
        if key is not None:
            if indent == 0:
                section = key if key in _SECTIONS else None
                model = model_indent = columns_indent = column_indent = None
            elif key == "columns" and model is not None and model_indent is not None:
                if indent > model_indent:
                    columns_indent, column_indent, checkpoint = indent, None, match.end()
            elif columns_indent is not None and indent <= columns_indent:
                columns_indent = column_indent = None
            continue
        if section is None:
            continue
        if model_indent is None or indent == model_indent:
            model_indent, model = indent, _Entry(line)
            entries.setdefault(_name(match.group("name")), model)
            columns_indent = column_indent = None
            continue
        if columns_indent is None or model is None:
            continue
        # A shallower line since the last column item ends the list (another model key).
        if _ends_columns(text, checkpoint, match.start(), columns_indent):
            columns_indent = column_indent = None
            continue
        if column_indent is None:
            column_indent = indent
        if indent == column_indent:
            model.columns.setdefault(_name(match.group("name")).lower(), line)
            checkpoint = match.end()
    return entries


_SHALLOW: dict[int, re.Pattern[str]] = {}


def _ends_columns(text: str, start: int, end: int, columns_indent: int) -> bool:
    shallow = _SHALLOW.get(columns_indent)
    if shallow is None:
        shallow = _SHALLOW[columns_indent] = re.compile(
            rf"^ {{0,{columns_indent}}}[^\s#]", re.MULTILINE
        )
    return shallow.search(text, start, end) is not None


class FastColumnLocations:
    """Same answers as ColumnLocations, from a line scan where it is unambiguous.

    With `cache_dir`, scans are kept in `properties-lines.json` there, keyed by a digest of
    each file's bytes: a warm check reads a properties file only to hash it. `save()`
    writes the cache when a file was scanned anew.
    """

    def __init__(
        self,
        project_dir: Path,
        display_root: Path,
        cache_dir: Path | None = None,
        packages: Mapping[str, Path] | None = None,
    ) -> None:
        self.exact = ColumnLocations(project_dir, display_root, packages)
        self.project_dir = project_dir
        self._scans: dict[str, dict[str, _Entry]] = {}
        self._shown: dict[tuple[str, str], str] = {}
        self._cache_dir = cache_dir
        self._stored = _load_scans(cache_dir)
        self._changed = False

    def __call__(self, node: Mapping[str, Any], column: str) -> tuple[str | None, int | None]:
        if node.get("resource_type") == "source":
            return self.exact(node, column)  # `sources:` nest tables: the scan does not see them
        patch = node.get("patch_path")
        if not isinstance(patch, str) or not patch:
            # The SQL file only (as ColumnLocations answers it), without resolving it again.
            sql = str(node.get("original_file_path") or "")
            return (self._display(node, sql) if sql else None), None
        relative = patch.split("://", 1)[1] if "://" in patch else patch
        shown = self._display(node, relative)
        entry = self._scan(shown, node, relative).get(str(node.get("name")))
        line = entry.columns.get(column.lower()) if entry else None
        if line is None:
            return self.exact(node, column)
        return shown, line

    def _display(self, node: Mapping[str, Any], relative: str) -> str:
        """The file relative to floe.yaml's folder (computed once per package and file)."""
        key = (str(node.get("package_name") or ""), relative)
        shown = self._shown.get(key)
        if shown is None:
            shown = self._shown[key] = self.exact._display(self.exact.file_of(node, relative))
        return shown

    def _scan(self, shown: str, node: Mapping[str, Any], relative: str) -> dict[str, _Entry]:
        # Keyed by the shown path: two packages' `models/schema.yml` are two files.
        scan = self._scans.get(shown)
        if scan is None:
            try:
                data = self.exact.file_of(node, relative).read_bytes()
            except OSError:
                data = b""
            digest = hashlib.sha1(data, usedforsecurity=False).hexdigest()
            stored = self._stored.get(shown)
            scan = _decode(stored[1]) if stored is not None and stored[0] == digest else None
            if scan is None:
                try:
                    scan = scan_properties(data.decode("utf-8"))
                except UnicodeDecodeError:
                    scan = {}
                self._stored[shown] = (digest, _encode(scan))
                self._changed = True
            self._scans[shown] = scan
        return scan

    def save(self) -> None:
        """Write the scans to the cache folder when a file was scanned anew."""
        if self._cache_dir is None or not self._changed:
            return
        from floe_ci import fastjson
        from floe_ci.fsutil import write_cache

        files = {path: [digest, entries] for path, (digest, entries) in self._stored.items()}
        data = {"version": SCAN_VERSION, "files": files}
        write_cache(self._cache_dir / SCAN_CACHE_FILE, fastjson.dumps_compact(data))
        self._changed = False


# Bump when scan_properties changes what it finds: older cached scans then miss.
SCAN_VERSION = "2"  # 2: files keyed by their path relative to floe.yaml
SCAN_CACHE_FILE = "properties-lines.json"
# model -> [line, {lower-case column: line}], as stored in the cache file
_Stored = dict[str, list[Any]]


def _encode(scan: dict[str, _Entry]) -> _Stored:
    return {name: [entry.line, entry.columns] for name, entry in scan.items()}


def _decode(stored: _Stored) -> dict[str, _Entry] | None:
    """The scan as stored, or None when the entry does not have the stored shape."""
    try:
        return {
            name: _Entry(int(line), {str(c): int(n) for c, n in columns.items()})
            for name, (line, columns) in stored.items()
        }
    except (ValueError, TypeError, AttributeError):
        return None


def _load_scans(cache_dir: Path | None) -> dict[str, tuple[str, _Stored]]:
    """Cached scans by file; anything unreadable or of another version counts as empty."""
    if cache_dir is None:
        return {}
    from floe_ci import fastjson

    try:
        data = fastjson.loads((cache_dir / SCAN_CACHE_FILE).read_bytes())
        if data.get("version") != SCAN_VERSION:
            return {}
        scans: dict[str, tuple[str, _Stored]] = {}
        for path, (digest, entries) in data["files"].items():
            if not isinstance(entries, dict):
                raise TypeError("a file's scan is not a mapping")
            scans[str(path)] = (str(digest), entries)  # decoded (and checked) when used
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}
    return scans
