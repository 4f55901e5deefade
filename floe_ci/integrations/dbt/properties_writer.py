"""Write `meta.floe` into dbt properties YAML, changing nothing else in the file.

Dumping a round-trip YAML document back (ruamel.yaml) still reflows a file: trailing
spaces, `>` chomping indicators and sequence indents change. So the file is parsed with
ruamel.yaml only to learn where each model, column and key sits (line and column), and the
edit is a few inserted lines (or one replaced value) at those places; every other byte stays
as it was. The result is parsed again and checked before it is written (temp file + rename).

Where a column's classification goes:
- its `config.meta.floe` or `meta.floe` block when one exists (config.meta wins, as in dbt);
- else a `floe:` key in its `config.meta` or `meta`;
- else a new line `meta: {floe: {...}}` in the column's entry;
- a column without an entry gets one (`- name: col`) in its model's `columns:`, a model
  without properties an entry in `_floe_classifications.yml` next to its SQL file.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from floe_ci.errors import FloeUsageError
from floe_ci.fsutil import write_atomic
from floe_ci.integrations.dbt.packages import package_file

NEW_PROPERTIES_FILE = "_floe_classifications.yml"
_SECTIONS = {"model": "models", "seed": "seeds", "snapshot": "snapshots", "source": "sources"}


@dataclass(frozen=True)
class ColumnEdit:
    """Set these `meta.floe` keys on one column of one dbt node (a manifest node dict)."""

    node: Mapping[str, Any]
    column: str
    floe: Mapping[str, Any]
    label: str = ""  # how messages name the column (`stg_users.email`)


@dataclass
class WriteResult:
    """Files changed (path -> (before, after)) and the edits that could not be made."""

    changed: dict[Path, tuple[str, str]] = field(default_factory=dict)
    skipped: list[tuple[ColumnEdit, str]] = field(default_factory=list)
    written: list[ColumnEdit] = field(default_factory=list)

    def diff(self, display_root: Path) -> str:
        """A unified diff of every changed file, paths relative to `display_root`."""
        parts: list[str] = []
        for path, (before, after) in sorted(self.changed.items()):
            shown = _relative(path, display_root)
            parts.extend(
                difflib.unified_diff(
                    before.splitlines(keepends=True),
                    after.splitlines(keepends=True),
                    fromfile=f"a/{shown}" if before else "/dev/null",
                    tofile=f"b/{shown}",
                )
            )
        return "".join(parts)

    def write(self) -> None:
        for path, (_, after) in sorted(self.changed.items()):
            write_atomic(path, after)


@dataclass(frozen=True)
class _Target:
    file: Path
    section: str
    entry: str
    source: str | None  # a source's name (entry is then its table)


class PropertiesWriter:
    """Plans edits of the properties files of a project's packages (see the module doc)."""

    def __init__(
        self, project_dir: Path, packages: Mapping[str, Path], installed_dir: Path | None = None
    ) -> None:
        self.project_dir = project_dir
        self.packages = packages
        self.installed_dir = (installed_dir or project_dir / "dbt_packages").resolve()

    def plan(self, edits: Iterable[ColumnEdit]) -> WriteResult:
        result = WriteResult()
        by_file: dict[Path, list[tuple[_Target, ColumnEdit]]] = {}
        for edit in _merged(edits):
            target = self._target(edit)
            if isinstance(target, str):
                result.skipped.append((edit, target))
                continue
            by_file.setdefault(target.file, []).append((target, edit))
        for file, items in sorted(by_file.items()):
            before = file.read_text(encoding="utf-8") if file.is_file() else ""
            after, skipped = edit_properties_text(before, items, str(file))
            result.skipped.extend(skipped)
            written = [edit for _, edit in items if all(edit is not s for s, _ in skipped)]
            result.written.extend(written)
            if after != before:
                result.changed[file] = (before, after)
        return result

    def _target(self, edit: ColumnEdit) -> _Target | str:
        node = edit.node
        kind = str(node.get("resource_type") or "model")
        section = _SECTIONS.get(kind)
        if section is None:
            return f"a {kind} has no properties file floe-ci can edit"
        root = self.packages.get(str(node.get("package_name") or ""), self.project_dir)
        if _inside(root, self.installed_dir):
            return (
                f"it belongs to the installed package `{node.get('package_name')}` "
                "(dbt deps would overwrite the edit); classify it in that package's source"
            )
        if kind == "source":
            relative = str(node.get("original_file_path") or "")
            if not relative:
                return "the source names no file"
            file = package_file(self.packages, self.project_dir, node, relative)
            return _Target(file, section, str(node["name"]), str(node.get("source_name")))
        patch = node.get("patch_path")
        if isinstance(patch, str) and patch:
            relative = patch.split("://", 1)[-1]
        else:
            sql = str(node.get("original_file_path") or "")
            if not sql:
                return "the node names no file"
            relative = str(Path(sql).parent / NEW_PROPERTIES_FILE)
        file = package_file(self.packages, self.project_dir, node, relative)
        return _Target(file, section, str(node["name"]), None)


def _merged(edits: Iterable[ColumnEdit]) -> list[ColumnEdit]:
    """One edit per column (the later keys win), in first-seen order."""
    merged: dict[tuple[str, str], ColumnEdit] = {}
    for edit in edits:
        key = (str(edit.node.get("unique_id") or edit.node.get("name")), edit.column.lower())
        if key in merged:
            earlier = merged[key]
            edit = ColumnEdit(
                earlier.node, earlier.column, {**earlier.floe, **edit.floe}, earlier.label
            )
        merged[key] = edit
    return list(merged.values())


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder)
    except ValueError:
        return False
    return True


def _relative(path: Path, root: Path) -> str:
    return Path(os.path.relpath(path.resolve(), root.resolve())).as_posix()


# --- the text edits -----------------------------------------------------------------------


@dataclass
class _Ops:
    """Line edits against the original text: inserts before a line, one-line replacements."""

    inserts: dict[int, list[str]] = field(default_factory=dict)
    replaces: list[tuple[int, int, int, str]] = field(default_factory=list)

    def insert(self, before_line: int, lines: Sequence[str]) -> None:
        self.inserts.setdefault(before_line, []).extend(lines)

    def apply(self, text: str) -> str:
        lines = text.splitlines(keepends=True)
        if lines and not lines[-1].endswith("\n") and self.inserts.get(len(lines)):
            lines[-1] += "\n"
        for line, start, end, new in sorted(self.replaces, reverse=True):
            lines[line] = lines[line][:start] + new + lines[line][end:]
        for at in sorted(self.inserts, reverse=True):
            lines[at:at] = [f"{item}\n" for item in self.inserts[at]]
        return "".join(lines)


def edit_properties_text(
    text: str, items: Sequence[tuple[_Target, ColumnEdit]], shown: str
) -> tuple[str, list[tuple[ColumnEdit, str]]]:
    """The file's text with the edits made, and the edits that could not be (with why)."""
    loader = YAML(typ="rt")
    try:
        document = loader.load(text) if text.strip() else None
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise FloeUsageError.single(
            shown,
            f"not valid YAML, so floe-ci cannot add classifications: {exc}",
            line=mark.line + 1 if mark is not None else None,
            hint="fix the file (dbt cannot parse it either), then run again",
        ) from None
    if document is not None and not isinstance(document, CommentedMap):
        return text, [(edit, "the file is not a YAML mapping") for _, edit in items]
    lines = text.splitlines()
    editor = _Editor(lines, document)
    skipped: list[tuple[ColumnEdit, str]] = []
    grouped: dict[tuple[str, str | None, str], list[ColumnEdit]] = {}
    for target, edit in items:
        grouped.setdefault((target.section, target.source, target.entry), []).append(edit)
    for (section, source, entry), edits in grouped.items():
        skipped.extend(editor.edit_entry(section, source, entry, edits))
    editor.finish()
    after = editor.ops.apply(text)
    if after == text:
        return text, skipped
    if not text.strip():
        after = "version: 2\n\n" + after
    problem = _verify(after, [(t, e) for t, e in items if all(e is not s for s, _ in skipped)])
    if problem is not None:
        return text, [
            *skipped,
            *((e, problem) for _, e in items if all(e is not s for s, _ in skipped)),
        ]
    return after, skipped


class _Editor:
    def __init__(self, lines: list[str], document: CommentedMap | None) -> None:
        self.lines = lines
        self.doc = document
        self.ops = _Ops()
        # Sections the file lacks, with the entries to create in them (written by finish()).
        self.new_sections: dict[str, list[tuple[str, list[ColumnEdit]]]] = {}

    # -- navigation

    def edit_entry(
        self, section: str, source: str | None, entry: str, edits: list[ColumnEdit]
    ) -> list[tuple[ColumnEdit, str]]:
        doc = self.doc
        sequence = doc.get(section) if doc is not None else None
        chain: list[tuple[Any, Any]] = [(doc, section)] if doc is not None else []
        if source is not None:
            if not isinstance(sequence, CommentedSeq):
                return [(e, f"no `{section}:` list in the file") for e in edits]
            index = _find_named(sequence, source)
            if index is None:
                return [(e, f"source `{source}` is not in the file") for e in edits]
            chain.append((sequence, index))
            tables = sequence[index].get("tables")
            chain.append((sequence[index], "tables"))
            sequence = tables
        if sequence is None or not isinstance(sequence, CommentedSeq):
            if source is not None or (doc is not None and section in doc):
                return [(e, f"`{section}:` is not a block list here") for e in edits]
            self.new_sections.setdefault(section, []).append((entry, edits))
            return []
        if sequence.fa.flow_style():
            return [(e, f"`{section}:` is written in flow style ([...])") for e in edits]
        index = _find_named(sequence, entry)
        if index is None:
            if source is not None:
                return [(e, f"table `{entry}` is not in the file") for e in edits]
            self._append_items(sequence, chain, [self._entry_lines(entry, edits)])
            return []
        item = sequence[index]
        if not isinstance(item, CommentedMap) or item.fa.flow_style():
            return [(e, f"`{entry}` is not a block mapping") for e in edits]
        chain = [*chain, (sequence, index)]
        columns = item.get("columns")
        missing: list[ColumnEdit] = []
        skipped: list[tuple[ColumnEdit, str]] = []
        for edit in edits:
            found = _find_named(columns, edit.column) if isinstance(columns, CommentedSeq) else None
            if found is None:
                missing.append(edit)
                continue
            reason = self._edit_column(columns[found], edit)
            if reason is not None:
                skipped.append((edit, reason))
        if not missing:
            return skipped
        if isinstance(columns, CommentedSeq) and not columns.fa.flow_style() and len(columns):
            self._append_items(
                columns, [*chain, (item, "columns")], [self._column_lines(e) for e in missing]
            )
        elif "columns" in item:
            skipped.extend((e, "its `columns:` is empty or in flow style") for e in missing)
        else:
            indent = _key_col(item)
            body = [line for e in missing for line in self._column_lines(e)]
            offset = self._seq_offset()
            self.ops.insert(
                self._end(chain),
                [" " * indent + "columns:", *(" " * (indent + offset) + ln for ln in body)],
            )
        return skipped

    def _edit_column(self, column: Any, edit: ColumnEdit) -> str | None:
        if not isinstance(column, CommentedMap):
            return "its entry is not a mapping"
        config = column.get("config")
        config_meta = config.get("meta") if isinstance(config, CommentedMap) else None
        meta = column.get("meta")
        for container in (config_meta, meta):
            if isinstance(container, CommentedMap) and "floe" in container:
                return self._set_keys(container, "floe", edit.floe)
        for container in (config_meta, meta):
            if isinstance(container, CommentedMap):
                return self._add_key(container, "floe", dict(edit.floe))
        if column.fa.flow_style():
            return "its entry is written in flow style ({...})"
        if "meta" in column or (isinstance(config, CommentedMap) and "meta" in config):
            return "its `meta` is empty or not a mapping"
        return self._add_key(column, "meta", {"floe": dict(edit.floe)})

    # -- edits of one mapping

    def _set_keys(self, parent: CommentedMap, key: str, values: Mapping[str, Any]) -> str | None:
        """Set `values` in the mapping parent[key] (block or one-line flow)."""
        mapping = parent[key]
        if not isinstance(mapping, CommentedMap):
            return f"its `{key}` is not a mapping"
        if mapping.fa.flow_style():
            return self._replace_flow(parent, key, {**mapping, **values})
        for name, value in values.items():
            if name in mapping:
                if mapping[name] == value:
                    continue
                line, col = mapping.lc.value(name)
                span = _scalar_span(self.lines[line], col)
                if span is None:
                    return f"`{key}.{name}` is not a one-line value"
                self.ops.replaces.append((line, span[0], span[1], _flow(value)))
            else:
                first = next(iter(mapping))
                line, col = mapping.lc.key(first)
                self.ops.insert(line, [" " * col + f"{_flow(name)}: {_flow(value)}"])
        return None

    def _add_key(self, mapping: CommentedMap, key: str, value: Any) -> str | None:
        if mapping.fa.flow_style():
            return self._replace_flow_of(mapping, {**mapping, key: value})
        if not len(mapping):
            return "an empty mapping"
        first = next(iter(mapping))
        line, col = mapping.lc.key(first)
        at = line  # before the first key, unless the mapping has a one-line `name:`
        if "name" in mapping:  # right below the column's name, where a reader looks
            name_line, _ = mapping.lc.key("name")
            value_line, value_col = mapping.lc.value("name")
            if value_line == name_line and _scalar_span(self.lines[value_line], value_col):
                at = name_line + 1
        self.ops.insert(at, [" " * col + f"{_flow(key)}: {_flow(value)}"])
        return None

    def _replace_flow(
        self, parent: CommentedMap, key: str, merged: Mapping[str, Any]
    ) -> str | None:
        line, col = parent.lc.value(key)
        return self._replace_braces(line, col, merged)

    def _replace_flow_of(self, mapping: CommentedMap, merged: Mapping[str, Any]) -> str | None:
        return self._replace_braces(mapping.lc.line, mapping.lc.col, merged)

    def _replace_braces(self, line: int, col: int, merged: Mapping[str, Any]) -> str | None:
        text = self.lines[line]
        end = _matching_brace(text, col)
        if end is None:
            return "a flow mapping that spans lines"
        self.ops.replaces.append((line, col, end, _flow(dict(merged))))
        return None

    # -- new entries

    def _column_lines(self, edit: ColumnEdit) -> list[str]:
        return [f"- name: {_flow(edit.column)}", f"  meta: {_flow({'floe': dict(edit.floe)})}"]

    def _entry_lines(self, entry: str, edits: list[ColumnEdit]) -> list[str]:
        offset = self._seq_offset()
        body = [line for e in edits for line in self._column_lines(e)]
        return [f"- name: {_flow(entry)}", "  columns:", *(" " * (2 + offset) + ln for ln in body)]

    def _append_items(
        self, sequence: CommentedSeq, chain: list[tuple[Any, Any]], items: list[list[str]]
    ) -> None:
        last = len(sequence) - 1
        line, col = sequence.lc.item(last)
        dash = _dash_col(self.lines, line, col)
        content_offset = col - dash if col > dash else 2
        lines = []
        for item in items:
            first, *rest = item
            lines.append(" " * dash + first)
            lines.extend(" " * (dash + content_offset - 2) + ln for ln in rest)
        self.ops.insert(self._end([*chain, (sequence, last)]), lines)

    def finish(self) -> None:
        """Append the sections the file lacks, each with all its new entries."""
        offset = self._seq_offset()
        at = len(self.lines)
        lines: list[str] = []
        for section, entries in self.new_sections.items():
            if (self.lines and self.lines[-1].strip()) or lines:
                lines.append("")
            lines.append(f"{section}:")
            for entry, edits in entries:
                lines.extend(" " * offset + ln for ln in self._entry_lines(entry, edits))
        if lines:
            self.ops.insert(at, lines)

    def _seq_offset(self) -> int:
        """How far this file indents `- ` items below their key (2 unless it shows 0)."""
        doc = self.doc
        if doc is not None:
            for key in ("models", "sources", "seeds", "snapshots"):
                seq = doc.get(key)
                if isinstance(seq, CommentedSeq) and len(seq) and not seq.fa.flow_style():
                    line, col = seq.lc.item(0)
                    return _dash_col(self.lines, line, col)
        return 2

    # -- where a node ends

    def _end(self, chain: list[tuple[Any, Any]]) -> int:
        """The line (0-based) before which text appended to chain's last node goes: the start
        of the next sibling of it or of an ancestor, before the blank and comment lines."""
        start = _start_line(*chain[-1]) if chain else 0
        end = len(self.lines)
        for container, key in reversed(chain):
            nxt = _next_sibling_line(self.lines, container, key)
            if nxt is not None:
                end = nxt
                break
        while end - 1 > start and (
            not self.lines[end - 1].strip() or self.lines[end - 1].lstrip().startswith("#")
        ):
            end -= 1
        return end


def _start_line(container: Any, key: Any) -> int:
    if isinstance(container, CommentedSeq):
        return int(container.lc.item(key)[0])
    return int(container.lc.key(key)[0])


def _next_sibling_line(lines: list[str], container: Any, key: Any) -> int | None:
    if isinstance(container, CommentedSeq):
        if key + 1 < len(container):
            line, col = container.lc.item(key + 1)
            return _dash_line(lines, line, col)
        return None
    keys = list(container)
    position = keys.index(key)
    if position + 1 < len(keys):
        return int(container.lc.key(keys[position + 1])[0])
    return None


def _dash_col(lines: list[str], line: int, col: int) -> int:
    text = lines[_dash_line(lines, line, col)]
    return len(text) - len(text.lstrip())


def _dash_line(lines: list[str], line: int, col: int) -> int:
    """The line of the `-` of a sequence item whose content starts at (line, col)."""
    if "-" in lines[line][:col]:
        return line
    for earlier in range(line - 1, -1, -1):
        if lines[earlier].lstrip().startswith("-"):
            return earlier
    return line


def _find_named(sequence: Any, name: str) -> int | None:
    if not isinstance(sequence, CommentedSeq):
        return None
    for index, item in enumerate(sequence):
        if isinstance(item, Mapping) and str(item.get("name", "")).lower() == name.lower():
            return index
    return None


def _key_col(mapping: CommentedMap) -> int:
    return int(mapping.lc.key(next(iter(mapping)))[1])


def _scalar_span(text: str, col: int) -> tuple[int, int] | None:
    """Columns of the one-line scalar starting at `col` (plain or quoted); None otherwise."""
    if col >= len(text):
        return None
    quote = text[col]
    if quote in "'\"":
        index = col + 1
        while index < len(text):
            if text[index] == quote:
                if quote == "'" and text[index + 1 : index + 2] == "'":
                    index += 2
                    continue
                if quote == '"' and text[index - 1] == "\\":
                    index += 1
                    continue
                return col, index + 1
            index += 1
        return None
    if quote in "|>[{&*!":
        return None
    end = text.find(" #", col)
    end = len(text) if end < 0 else end
    while end > col and text[end - 1] in " \t":
        end -= 1
    for closing in (",", "}", "]"):  # inside a flow collection
        cut = text.find(closing, col, end)
        if cut >= 0:
            end = cut
    return (col, end) if end > col else None


def _matching_brace(text: str, col: int) -> int | None:
    if col >= len(text) or text[col] != "{":
        return None
    depth, quote = 0, ""
    for index in range(col, len(text)):
        char = text[index]
        if quote:
            if char == quote:
                quote = ""
            continue
        if char in "'\"":
            quote = char
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
            if depth == 0:
                return index + 1
    return None


def _flow(value: Any) -> str:
    """A value as one line of flow-style YAML (`{floe: {classification: pii}}`)."""
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_flow(k)}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    dumped = yaml.safe_dump(value, default_flow_style=True, width=10**6).strip()
    return dumped.removesuffix("...").strip()


def _verify(text: str, items: Sequence[tuple[_Target, ColumnEdit]]) -> str | None:
    """None when every edit reads back from the new text as intended (else why not)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return f"the edited file would not parse ({exc}); nothing was changed in it"
    for target, edit in items:
        column = _column_of(data, target, edit.column)
        if column is None:
            return f"`{edit.column}` was not found after the edit; nothing was changed"
        config_meta = (column.get("config") or {}).get("meta") or {}
        meta = (
            config_meta.get("floe")
            if "floe" in config_meta
            else (column.get("meta") or {}).get("floe")
        )
        if not isinstance(meta, dict) or any(meta.get(k) != v for k, v in edit.floe.items()):
            return f"`{edit.column}` did not read back as classified; nothing was changed"
    return None


def _column_of(data: Any, target: _Target, column: str) -> dict[str, Any] | None:
    entries = data.get(target.section) if isinstance(data, dict) else None
    if target.source is not None:
        source = _named(entries, target.source)
        entries = source.get("tables") if source else None
    entry = _named(entries, target.entry)
    return _named(entry.get("columns") if entry else None, column)


def _named(items: Any, name: str) -> dict[str, Any] | None:
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and str(item.get("name", "")).lower() == name.lower():
            return item
    return None
