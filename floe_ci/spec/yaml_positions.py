"""Load YAML into plain data while remembering where every key and value came from.

PyYAML's safe loader silently keeps the last of duplicate keys, expands aliases without
limit and forgets positions. We compose the node graph ourselves so that each error can
name file:line:column, duplicate keys are errors, and alias bombs are stopped early.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from floe_ci.errors import FloeUsageError

Path_ = tuple[str | int, ...]

# floe.yaml files are hand-written and small; anything bigger is a mistake or an attack.
MAX_FILE_BYTES = 1 * 1024 * 1024
# Upper bound on nodes after alias expansion (a "billion laughs" file explodes past this).
MAX_EXPANDED_NODES = 100_000
MAX_DEPTH = 64

_MERGE_TAG = "tag:yaml.org,2002:merge"

try:  # libyaml is much faster; fall back to the pure-Python loader where it is missing.
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment,attr-defined,unused-ignore]
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader


@dataclass(frozen=True)
class Position:
    line: int  # 1-based
    column: int  # 1-based


@dataclass
class LocatedDocument:
    """Plain YAML data plus the position of each key (for mappings) or item (for lists)."""

    file: str
    data: Any
    positions: dict[Path_, Position] = field(default_factory=dict)

    def position_of(self, path: Path_) -> Position | None:
        """Position of the longest prefix of `path` that exists in the document."""
        for end in range(len(path), -1, -1):
            found = self.positions.get(tuple(path[:end]))
            if found is not None:
                return found
        return None


def _position(mark: yaml.Mark) -> Position:
    return Position(mark.line + 1, mark.column + 1)


def file_too_large(display: str, size: int, max_bytes: int) -> FloeUsageError:
    return FloeUsageError.single(
        display,
        f"file is {size / 1024 / 1024:.1f} MiB; this file is limited to "
        f"{max_bytes / 1024 / 1024:g} MiB",
        line=1,
        column=1,
        hint="configuration describes the pipeline; keep data and generated content out",
    )


def decode_utf8(raw: bytes, display: str, max_bytes: int = MAX_FILE_BYTES) -> str:
    """A file's bytes as text, with a located error when too large or not UTF-8."""
    if len(raw) > max_bytes:
        raise file_too_large(display, len(raw), max_bytes)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = len(before) - (before.rfind(b"\n") + 1) + 1
        raise FloeUsageError.single(
            display,
            f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
            line=line,
            column=column,
            hint="save the file as UTF-8",
        ) from None


def load_located(text: str, display: str, max_nodes: int = MAX_EXPANDED_NODES) -> LocatedDocument:
    """Parse one YAML document into plain data with positions."""
    if not text.strip() or all(
        not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()
    ):
        raise FloeUsageError.single(
            display, "file is empty", line=1, column=1, hint="start from `floe-ci init NAME`"
        )
    loader = _Loader(text)
    try:
        try:
            root = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            raise _yaml_error(exc, display, text) from None
        except yaml.YAMLError as exc:
            raise FloeUsageError.single(display, f"invalid YAML: {exc}", line=1, column=1) from None
        if root is None:
            raise FloeUsageError.single(display, "file is empty", line=1, column=1)
        doc = LocatedDocument(display, None)
        builder = _Builder(loader, doc, max_nodes)
        doc.positions[()] = _position(root.start_mark)
        doc.data = builder.build(root, ())
        return doc
    finally:
        loader.dispose()


def _yaml_error(exc: yaml.MarkedYAMLError, display: str, text: str) -> FloeUsageError:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or "invalid YAML"
    context = f" ({exc.context})" if exc.context else ""
    line = mark.line + 1 if mark else None
    column = mark.column + 1 if mark else None
    hint = "check indentation and quoting around this line"
    lines = text.splitlines()
    if mark and mark.line < len(lines) and "\t" in lines[mark.line][: mark.column + 1]:
        hint = "YAML does not allow tabs for indentation; use spaces"
    return FloeUsageError.single(
        display, f"invalid YAML: {problem}{context}", line=line, column=column, hint=hint
    )


class _Builder:
    def __init__(self, loader: yaml.SafeLoader, doc: LocatedDocument, max_nodes: int) -> None:
        self.loader = loader
        self.doc = doc
        self.max_nodes = max_nodes
        self.count = 0

    def build(self, node: yaml.Node, path: Path_) -> Any:
        self.count += 1
        if len(path) > MAX_DEPTH:
            raise FloeUsageError.single(
                self.doc.file,
                f"YAML nests deeper than {MAX_DEPTH} levels",
                *_line_col(node),
                hint="a recursive alias (an anchor that contains itself) cannot be loaded",
            )
        if self.count > self.max_nodes:
            raise FloeUsageError.single(
                self.doc.file,
                f"YAML expands to more than {self.max_nodes:,} values through anchors and aliases",
                *_line_col(node),
                hint="this looks like an alias bomb; write the values out or use fewer aliases",
            )
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            items = []
            for index, child in enumerate(node.value):
                self.doc.positions.setdefault((*path, index), _position(child.start_mark))
                items.append(self.build(child, (*path, index)))
            return items
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as exc:
            raise FloeUsageError.single(
                self.doc.file,
                f"unsupported YAML value: {exc.problem}",
                *_line_col(node),
                hint="floe.yaml accepts plain strings, numbers, booleans, lists and mappings",
            ) from None

    def _mapping(self, node: yaml.MappingNode, path: Path_) -> dict[str, Any]:
        result: dict[str, Any] = {}
        seen: dict[str, yaml.Node] = {}
        merged: list[yaml.Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merged.extend(
                    value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                )
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise FloeUsageError.single(
                    self.doc.file,
                    "mapping keys must be plain strings",
                    *_line_col(key_node),
                )
            key = str(self.loader.construct_object(key_node))
            if key in seen:
                first = _position(seen[key].start_mark)
                raise FloeUsageError.single(
                    self.doc.file,
                    f"duplicate key `{key}` (first defined at line {first.line})",
                    *_line_col(key_node),
                    hint="YAML keeps only one of them; remove or merge the duplicate",
                )
            seen[key] = key_node
            self.doc.positions[(*path, key)] = _position(key_node.start_mark)
            result[key] = self.build(value_node, (*path, key))
        # `<<: *defaults` keys fill in only what the mapping did not set itself.
        own_positions = {key: self.doc.positions[(*path, key)] for key in result}
        for source in merged:
            if not isinstance(source, yaml.MappingNode):
                raise FloeUsageError.single(
                    self.doc.file, "`<<` merge needs a mapping", *_line_col(source)
                )
            for key, value in self._mapping(source, path).items():
                result.setdefault(key, value)
        for key, position in own_positions.items():
            self.doc.positions[(*path, key)] = position
        return result


def _line_col(node: yaml.Node) -> tuple[int, int]:
    pos = _position(node.start_mark)
    return pos.line, pos.column
