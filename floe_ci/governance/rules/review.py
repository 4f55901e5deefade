"""Findings that a change itself raises, for a reviewer to look at before merging.

They are reported like the governance rules' findings (same ids scheme, same renderers),
so `--fail-on warning` fails a pull request that declassifies a column.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

from floe_ci.governance.result import Finding, Severity
from floe_ci.plan.changes import ClassificationChange, ModelChange, PolicyChange
from floe_ci.plan.snapshot import PipelineSnapshot


@dataclass(frozen=True)
class ReviewRule:
    id: str
    name: str
    severity: Severity
    doc: str

    def summary(self) -> str:
        return inspect.cleandoc(self.doc).split("\n", 1)[0]

    def documentation(self) -> str:
        return inspect.cleandoc(self.doc)

    def help_text(self) -> str:
        """The documentation without its summary line."""
        return self.documentation().split("\n", 1)[1].strip()


DECLASSIFICATION = ReviewRule(
    "FLOE501",
    "declassification",
    "warning",
    """A pull request removes or weakens a column's classification.

    Removing `meta.floe.classification` (or lowering its sensitivity, or moving it to a
    classification whose policy protects less) lifts masking and access restrictions from
    real data. dbt's `state:modified` does not even notice a meta-only change; floe-ci
    compares the classifications of base and head.

    Fix: if the data really is not sensitive any more, have a data owner approve the pull
    request; otherwise restore the classification.
    """,
)
BREAKING_CHANGE = ReviewRule(
    "FLOE502",
    "breaking-change",
    "warning",
    """A pull request removes, renames or retypes a column (or removes a model) that others use.

    Downstream models, exposures and Cube cubes that read it will fail or change meaning
    after the merge. The finding names every affected model and cube.

    Fix: update the consumers in the same pull request, or keep the old column until they
    have moved.
    """,
)
WEAKER_POLICY = ReviewRule(
    "FLOE503",
    "weaker-policy",
    "warning",
    """A pull request weakens or removes a governance policy's action for an environment.

    Every column with that classification is protected less after the merge (for example
    `restrict` becoming `mask` in production).

    Fix: have a data owner approve the change, or keep the stronger action.
    """,
)
REVIEW_RULES = (DECLASSIFICATION, BREAKING_CHANGE, WEAKER_POLICY)


def review_findings(
    head: PipelineSnapshot,
    models: list[ModelChange],
    classifications: list[ClassificationChange],
    policies: list[PolicyChange],
) -> list[Finding]:
    findings = [_declassified(head, c) for c in classifications if c.needs_review]
    findings += [_breaking(head, m) for m in models if m.category == "breaking"]
    findings += [_weaker(head, p) for p in policies if p.direction in ("weaker", "removed")]
    return findings


def _finding(rule: ReviewRule, message: str, hint: str, **where: object) -> Finding:
    return Finding(
        rule_id=rule.id,
        rule_name=rule.name,
        severity=rule.severity,
        message=message,
        hint=hint,
        **where,
    )


def _declassified(head: PipelineSnapshot, change: ClassificationChange) -> Finding:
    model = head.context.by_name.get(change.model)
    file = line = None
    if model is not None:
        file, line, _ = head.context.column_location(model, change.column)
    if change.direction == "removed":
        what = f"`{change.model}.{change.column}` is no longer classified (was `{change.before}`)"
    else:
        what = (
            f"`{change.model}.{change.column}` is protected less: `{change.before}` "
            f"({change.before_sensitivity}) -> `{change.after}` ({change.after_sensitivity})"
        )
    actions = ", ".join(
        f"{env}: {change.effective_before[env]} -> {change.effective_after[env]}"
        for env in change.effective_before
    )
    return _finding(
        DECLASSIFICATION,
        f"{what}; effective action {actions}",
        "have a data owner review this declassification, or restore the classification",
        model=change.model,
        node_id=model.node_id if model else None,
        column=change.column,
        file=file,
        line=line,
    )


def _breaking(head: PipelineSnapshot, change: ModelChange) -> Finding:
    dropped = [c for c in change.columns if c.category == "breaking"]
    if change.kind == "removed":
        what = f"model `{change.name}` is removed"
    else:
        parts = []
        for column in dropped:
            if column.kind == "renamed":
                parts.append(f"`{column.renamed_from}` renamed to `{column.column}`")
            elif column.kind == "type_changed":
                parts.append(f"`{column.column}` {column.before_type} -> {column.after_type}")
            else:
                parts.append(f"`{column.column}` removed")
        what = f"`{change.name}`: " + ", ".join(parts)
    affected = []
    if change.downstream_models:
        affected.append("models " + ", ".join(f"`{m}`" for m in change.downstream_models))
    if change.downstream_exposures:
        affected.append("exposures " + ", ".join(f"`{e}`" for e in change.downstream_exposures))
    if change.affected_cubes:
        affected.append("Cube cubes " + ", ".join(f"`{c}`" for c in change.affected_cubes))
    message = f"breaking change: {what}" + (f"; affects {'; '.join(affected)}" if affected else "")
    model = head.context.by_name.get(change.name)
    file = str(model.node.get("original_file_path")) if model else None
    return _finding(
        BREAKING_CHANGE,
        message,
        "update the affected consumers in this pull request, or keep the old column for now",
        model=change.name,
        node_id=change.node_id,
        file=file,
    )


def _weaker(head: PipelineSnapshot, change: PolicyChange) -> Finding:
    path = ("governance", "policies", change.classification, change.environment)
    position = head.context.locate_spec(path) or head.context.locate_spec(
        ("governance", "policies", change.classification)
    )
    return _finding(
        WEAKER_POLICY,
        f"policy `{change.classification}` in {change.environment}: {change.before} -> "
        f"{change.after}",
        "have a data owner approve the weaker policy, or keep the stronger action",
        file=head.context.spec_file,
        line=position[0] if position else None,
        column_number=position[1] if position else None,
    )
