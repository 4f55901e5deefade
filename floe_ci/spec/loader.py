"""Parse floe.yaml into a FloeSpec, turning every problem into a located, fixable message."""

from __future__ import annotations

import difflib
import re
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from floe_ci.errors import FloeUsageError, Problem
from floe_ci.spec.models import FloeSpec
from floe_ci.spec.secrets import find_literal_secrets
from floe_ci.spec.yaml_positions import LocatedDocument, Path_, decode_utf8, load_located


@dataclass(frozen=True)
class LoadedSpec:
    spec: FloeSpec
    document: LocatedDocument
    path: Path
    raw_bytes: bytes


def parse_spec(raw: bytes, path: Path, display: str | None = None) -> LoadedSpec:
    """Parse and validate floe.yaml's bytes (read from `path`, shown as `display`).

    Raises FloeUsageError with located problems. Reading the file is the caller's
    (floe_ci.app.spec_file.load_spec).
    """
    shown = display or str(path)
    document = load_located(decode_utf8(raw, shown), shown)
    if not isinstance(document.data, dict):
        raise FloeUsageError.single(
            shown,
            f"expected a mapping of settings at the top level, got {_kind(document.data)}",
            line=1,
            column=1,
            hint="floe.yaml starts with keys such as `name:` and `compute:`",
        )
    problems = secret_problems(document)
    try:
        spec = FloeSpec.model_validate(document.data)
    except ValidationError as exc:
        problems.extend(validation_problems(exc, document, FloeSpec))
    if problems:
        raise FloeUsageError(sorted(problems, key=lambda p: (p.line or 0, p.column or 0)))
    return LoadedSpec(spec, document, path, raw)


def secret_problems(document: LocatedDocument) -> list[Problem]:
    """One problem per literal secret. The value itself is never repeated in the message."""
    problems = []
    for path in find_literal_secrets(document.data):
        pos = document.position_of(path)
        problems.append(
            Problem(
                document.file,
                f"`{_dotted(path)}` looks like a literal secret; floe.yaml must not hold "
                "credentials",
                pos.line if pos else None,
                pos.column if pos else None,
                hint="store it in a secret store or environment variable and reference it by "
                "name with a `*_secret_ref` key (e.g. connection_secret_ref: WAREHOUSE_CREDS), "
                "or `{{ env_var('NAME') }}`",
            )
        )
    return problems


def validation_problems(
    exc: ValidationError, document: LocatedDocument, root: type[BaseModel]
) -> list[Problem]:
    errors = exc.errors(include_url=False, include_input=True)
    suggested = _suggested_keys(errors, document, root)
    problems = []
    for error in errors:
        loc: Path_ = tuple(error["loc"])
        data_path = _data_path(loc, document.data)
        pos = document.position_of(data_path)
        line, column = (pos.line, pos.column) if pos else (None, None)
        kind = error["type"]
        where = _dotted(data_path) or "(top level)"
        hint = None
        if kind == "extra_forbidden":
            key = str(data_path[-1]) if data_path else ""
            valid = _fields_at(root, data_path[:-1])
            message = f"unknown key `{where}`"
            match = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
            if match:
                message += f"; did you mean `{match[0]}`?"
            if valid:
                hint = "valid keys here: " + ", ".join(sorted(valid))
        elif kind == "missing":
            if data_path in suggested:
                continue  # the misspelled key's "did you mean" already says it
            message = f"missing required key `{where}`"
            parent = _dotted(data_path[:-1])
            hint = f"add `{data_path[-1]}:` under `{parent}`" if parent else None
        else:
            message = f"`{where}`: {_describe(error)}"
            hint = _closest_choice(error)
        problems.append(Problem(document.file, message, line, column, hint))
    return problems


def _suggested_keys(
    errors: list[Any], document: LocatedDocument, root: type[BaseModel]
) -> set[Path_]:
    """Paths of required keys that an unknown sibling key is a misspelling of."""
    suggested = set()
    for error in errors:
        if error["type"] != "extra_forbidden":
            continue
        path = _data_path(tuple(error["loc"]), document.data)
        if not path:
            continue
        valid = _fields_at(root, path[:-1])
        match = difflib.get_close_matches(str(path[-1]), valid, n=1, cutoff=0.6)
        if match:
            suggested.add((*path[:-1], match[0]))
    return suggested


def _data_path(loc: Path_, data: Any) -> Path_:
    """Drop the parts of a pydantic error location that are not keys in the data.

    Unions add the name of the tried member (`file`, `function-after[...]`) to `loc`;
    following only parts that exist gives the path a user can find in the file.
    """
    path: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            path.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            path.append(part)
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and part == loc[-1]:
            path.append(part)  # a missing or unknown key: still worth naming
    return tuple(path)


def _fields_at(root: type[BaseModel], path: Path_) -> list[str]:
    """Names of the keys accepted at `path` in the schema (for did-you-mean)."""
    annotation: Any = root
    for part in path:
        annotation = _step(annotation, part)
        if annotation is None:
            return []
    models = [m for m in _flatten(annotation) if isinstance(m, type) and issubclass(m, BaseModel)]
    return sorted({name for model in models for name in model.model_fields})


def _step(annotation: Any, part: str | int) -> Any:
    for option in _flatten(annotation):
        if isinstance(option, type) and issubclass(option, BaseModel) and isinstance(part, str):
            field = option.model_fields.get(part)
            if field is not None:
                return field.annotation
        origin = typing.get_origin(option)
        args = typing.get_args(option)
        if origin is dict and isinstance(part, str) and len(args) == 2:
            return args[1]
        if origin is list and isinstance(part, int) and args:
            return args[0]
    return None


def _flatten(annotation: Any) -> list[Any]:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _flatten(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [leaf for arg in typing.get_args(annotation) for leaf in _flatten(arg)]
    return [annotation]


def _describe(error: Any) -> str:
    message = str(error["msg"])
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    value = error.get("input")
    if isinstance(value, str | int | float | bool) and error["type"] not in {"missing"}:
        shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
        message += f" (got {shown})"
    elif isinstance(value, dict | list):
        message += f" (got a {_kind(value)})"
    return message


def _closest_choice(error: Any) -> str | None:
    """For an enum or literal, suggest the allowed value nearest to what was written."""
    expected = (error.get("ctx") or {}).get("expected")
    value = error.get("input")
    if not isinstance(expected, str) or not isinstance(value, str):
        return None
    choices = re.findall(r"'([^']*)'", expected)
    match = difflib.get_close_matches(value.lower(), choices, n=1, cutoff=0.5)
    return f"did you mean `{match[0]}`?" if match else None


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "mapping"
    if isinstance(value, list):
        return "list"
    if value is None:
        return "nothing"
    return type(value).__name__


def _dotted(path: Path_) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
