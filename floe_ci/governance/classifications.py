"""Read column classifications from a dbt manifest's column meta (`meta.floe`).

A bad value in one column becomes a finding for that column; it never drops the others.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from floe_ci.artifacts import ColumnClassification
from floe_ci.code_span import code
from floe_ci.governance.result import Finding
from floe_ci.governance.vocabulary import (
    DEFAULT_SENSITIVITY,
    FLOE_META_KEYS,
    PII_TYPES,
    SENSITIVITIES,
)

# (model unique_id, column name) -> (file, line) of the column in the properties YAML.
ColumnLocator = Callable[[Mapping[str, Any], str], tuple[str | None, int | None]]


@dataclass
class ClassificationResult:
    classifications: dict[str, dict[str, ColumnClassification]]
    findings: list[Finding]


def floe_meta(column: Mapping[str, Any]) -> Any:
    """The column's `floe` meta: `config.meta.floe` (dbt >= 1.10) wins over `meta.floe`."""
    config_meta = (column.get("config") or {}).get("meta") or {}
    if "floe" in config_meta:
        return config_meta["floe"]
    return (column.get("meta") or {}).get("floe")


def model_nodes(manifest: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    for node in manifest.get("nodes", {}).values():
        if node.get("resource_type") == "model":
            yield node


def extract_classifications(
    manifest: Mapping[str, Any], locate: ColumnLocator | None = None
) -> ClassificationResult:
    """Classified columns of every model, sorted by model and column for stable output."""
    classifications: dict[str, dict[str, ColumnClassification]] = {}
    findings: list[Finding] = []
    rule_ids = _meta_rule_ids()
    for node in sorted(model_nodes(manifest), key=lambda n: str(n.get("unique_id"))):
        model = str(node["name"])
        per_model: dict[str, ColumnClassification] = {}
        for column_name in sorted(node.get("columns") or {}):
            meta = floe_meta(node["columns"][column_name])
            if meta is None:
                continue

            def finding(
                message: str,
                hint: str,
                rule: str,
                column: str = column_name,
                node: Mapping[str, Any] = node,
                model: str = model,
            ) -> None:
                file, line = locate(node, column) if locate else (_patch_file(node), None)
                findings.append(
                    Finding(
                        rule_id=rule_ids[rule],
                        rule_name=rule,
                        severity="error",
                        message=message,
                        model=model,
                        node_id=str(node.get("unique_id") or "") or None,
                        column=column,
                        file=file,
                        line=line,
                        hint=hint,
                    )
                )

            classification = _read_column(meta, finding)
            if classification is not None:
                per_model[column_name] = classification
        if per_model:
            classifications[model] = per_model
    return ClassificationResult(classifications, findings)


def _meta_rule_ids() -> dict[str, str]:
    """The ids of the rules that report bad `meta.floe` values (FLOE106-108), by slug."""
    from floe_ci.governance.rules.registry import all_rules

    return {rule.name: rule.id for rule in all_rules()}


def read_classification(meta: Any) -> ColumnClassification | None:
    """The classification a column's `floe` meta declares, problems aside (rules report them)."""
    return _read_column(meta, _ignore_problem)


def _ignore_problem(message: str, hint: str, rule: str) -> None:
    """Problems are reported by `floe-ci check`'s rules; here only the value matters."""


def _read_column(
    meta: Any, finding: Callable[[str, str, str], None]
) -> ColumnClassification | None:
    if not isinstance(meta, Mapping):
        finding(
            f"`meta.floe` must be a mapping, got {type(meta).__name__}",
            "write `floe: {classification: pii, pii_type: email, sensitivity: high}`",
            "invalid-floe-meta",
        )
        return None
    for key in sorted(set(meta) - set(FLOE_META_KEYS)):
        suggestion = difflib.get_close_matches(str(key), FLOE_META_KEYS, n=1)
        finding(
            f"unknown key {code(key)} in `meta.floe`"
            + (f"; did you mean {code(suggestion[0])}?" if suggestion else ""),
            "allowed keys: " + ", ".join(FLOE_META_KEYS),
            "invalid-floe-meta",
        )
    raw_classification = meta.get("classification")
    if raw_classification in (None, "", False):
        return None  # e.g. only a waiver, or an explicit "not classified"
    if not isinstance(raw_classification, str):
        finding(
            f"`classification` must be a string, got {raw_classification!r}",
            "use the name of a policy in floe.yaml, such as `pii`",
            "invalid-floe-meta",
        )
        return None

    sensitivity = meta.get("sensitivity", DEFAULT_SENSITIVITY)
    if sensitivity not in SENSITIVITIES:
        finding(
            f"unknown sensitivity {sensitivity!r}",
            _choices_hint(sensitivity, SENSITIVITIES),
            "unknown-sensitivity",
        )
    pii_type = meta.get("pii_type")
    if pii_type is not None and pii_type not in PII_TYPES:
        finding(
            f"unknown pii_type {pii_type!r}", _choices_hint(pii_type, PII_TYPES), "unknown-pii-type"
        )
    return ColumnClassification(
        classification=raw_classification,
        pii_type=None if pii_type is None else str(pii_type),
        sensitivity=str(sensitivity),
    )


def _choices_hint(value: Any, choices: tuple[str, ...]) -> str:
    match = difflib.get_close_matches(str(value), choices, n=1)
    prefix = f"did you mean {code(match[0])}? " if match else ""
    return prefix + "expected one of: " + ", ".join(choices)


def _patch_file(node: Mapping[str, Any]) -> str | None:
    patch = node.get("patch_path")
    if isinstance(patch, str) and "://" in patch:
        return patch.split("://", 1)[1]
    return patch if isinstance(patch, str) else None
