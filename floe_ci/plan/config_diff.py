"""Semantic diff of two floe.yaml specs: settings, not text lines."""

from __future__ import annotations

from typing import Any

from floe_ci.plan.changes import ConfigChange
from floe_ci.spec.models import FloeSpec


def diff_specs(base: FloeSpec, head: FloeSpec) -> list[ConfigChange]:
    """Changed leaves by dotted path; lists of named items are matched by `name`."""
    changes: list[ConfigChange] = []
    _diff(base.model_dump(mode="json"), head.model_dump(mode="json"), "", changes)
    return changes


def _diff(before: Any, after: Any, path: str, out: list[ConfigChange]) -> None:
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after), key=str):
            child = f"{path}.{key}" if path else str(key)
            if key not in before:
                out.append(ConfigChange(path=child, kind="added", after=after[key]))
            elif key not in after:
                out.append(ConfigChange(path=child, kind="removed", before=before[key]))
            else:
                _diff(before[key], after[key], child, out)
    elif isinstance(before, list) and isinstance(after, list) and _named(before + after):
        _diff(_by_name(before), _by_name(after), path, out)
    elif before != after:
        if before is None:
            out.append(ConfigChange(path=path, kind="added", after=after))
        elif after is None:
            out.append(ConfigChange(path=path, kind="removed", before=before))
        else:
            out.append(ConfigChange(path=path, kind="modified", before=before, after=after))


def _named(items: list[Any]) -> bool:
    return bool(items) and all(
        isinstance(i, dict) and isinstance(i.get("name"), str) for i in items
    )


def _by_name(items: list[Any]) -> dict[str, Any]:
    return {f"[{item['name']}]": item for item in items}
