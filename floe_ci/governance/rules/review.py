"""Rules over what a pull request changes (FLOE5xx), for a reviewer to look at before merging.

They are registered and documented like the check's rules (same id scheme, same renderers),
so `--fail-on warning` fails a pull request that declassifies a column. A review rule reads
data only: the head revision's facts (its RuleContext, for locations) and the Plan's change
objects (`Changes`); plan/build.py computes the changes and runs the review rules over them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from floe_ci.code_span import code
from floe_ci.governance.result import Finding
from floe_ci.governance.rules.base import RuleBase, RuleContext, register
from floe_ci.plan.changes import ClassificationChange, ModelChange, PolicyChange, cap_names


@dataclass(frozen=True)
class Changes:
    """What a pull request changes, as the review rules read it (parts of the Plan)."""

    models: Sequence[ModelChange] = ()
    classifications: Sequence[ClassificationChange] = ()
    policies: Sequence[PolicyChange] = ()


class ReviewRule(RuleBase):
    """A rule of the pull-request review: subclasses set the class attributes and implement
    `review`, which yields the findings the changes raise, located in the head revision."""

    def review(self, head: RuleContext, changes: Changes) -> Iterator[Finding]:
        raise TypeError(f"{type(self).__name__} must implement review()")  # pragma: no cover


@register
class Declassification(ReviewRule):
    """A pull request removes or weakens a column's classification.

    Removing `meta.floe.classification` (or lowering its sensitivity, or moving it to a
    classification whose policy protects less) lifts masking and access restrictions from
    real data. dbt's `state:modified` does not even notice a meta-only change; floe-ci
    compares the classifications of base and head.

    Fix: if the data really is not sensitive any more, have a data owner approve the pull
    request; otherwise restore the classification.
    """

    id = "FLOE501"
    name = "declassification"
    severity = "warning"

    def review(self, head: RuleContext, changes: Changes) -> Iterator[Finding]:
        for change in changes.classifications:
            if change.needs_review:
                yield self._declassified(head, change)

    def _declassified(self, head: RuleContext, change: ClassificationChange) -> Finding:
        model = head.by_name.get(change.model)
        file = line = None
        if model is not None:
            file, line, _ = head.column_location(model, change.column)
        if change.direction == "removed":
            what = (
                f"{code(change.model, change.column)} is no longer classified "
                f"(was {code(change.before)})"
            )
        else:
            what = (
                f"{code(change.model, change.column)} is protected less: "
                f"{code(change.before)} ({change.before_sensitivity}) -> "
                f"{code(change.after)} ({change.after_sensitivity})"
            )
        actions = ", ".join(
            f"{env}: {change.effective_before[env]} -> {change.effective_after[env]}"
            for env in change.effective_before
        )
        return self.finding(
            f"{what}; effective action {actions}",
            "have a data owner review this declassification, or restore the classification",
            model=change.model,
            node_id=model.node_id if model else None,
            column=change.column,
            file=file,
            line=line,
        )


@register
class BreakingChange(ReviewRule):
    """A pull request removes, renames or retypes a column (or removes a model) that others use.

    Downstream models, exposures and Cube cubes that read it will fail or change meaning
    after the merge. The finding names every affected model and cube.

    Fix: update the consumers in the same pull request, or keep the old column until they
    have moved.
    """

    id = "FLOE502"
    name = "breaking-change"
    severity = "warning"

    def review(self, head: RuleContext, changes: Changes) -> Iterator[Finding]:
        for change in changes.models:
            if change.category == "breaking":
                yield self._breaking(head, change)

    def _breaking(self, head: RuleContext, change: ModelChange) -> Finding:
        if change.kind == "removed":
            what = f"model {code(change.name)} is removed"
        else:
            parts = []
            for column in (c for c in change.columns if c.category == "breaking"):
                if column.kind == "renamed":
                    parts.append(f"{code(column.renamed_from)} renamed to {code(column.column)}")
                elif column.kind == "type_changed":
                    parts.append(
                        f"{code(column.column)} {column.before_type} -> {column.after_type}"
                    )
                else:
                    parts.append(f"{code(column.column)} removed")
            what = f"{code(change.name)}: " + ", ".join(parts)
        affected = []
        # Capped ("and 396 more"): the full lists are the Plan's, in the JSON report.
        for kind, names in (
            ("models", change.downstream_models),
            ("exposures", change.downstream_exposures),
            ("Cube cubes", change.affected_cubes),
        ):
            if names:
                shown, more = cap_names(names)
                listed = ", ".join(code(name) for name in shown)
                affected.append(f"{kind} {listed}" + (f" and {more} more" if more else ""))
        message = f"breaking change: {what}" + (
            f"; affects {'; '.join(affected)}" if affected else ""
        )
        model = head.by_name.get(change.name)
        return self.finding(
            message,
            "update the affected consumers in this pull request, or keep the old column for now",
            model=change.name,
            node_id=change.node_id,
            file=head.sql_file(model) if model else None,
        )


@register
class WeakerPolicy(ReviewRule):
    """A pull request weakens or removes a governance policy's action for an environment.

    Every column with that classification is protected less after the merge (for example
    `restrict` becoming `mask` in production).

    Fix: have a data owner approve the change, or keep the stronger action.
    """

    id = "FLOE503"
    name = "weaker-policy"
    severity = "warning"

    def review(self, head: RuleContext, changes: Changes) -> Iterator[Finding]:
        for change in changes.policies:
            if change.direction in ("weaker", "removed"):
                yield self._weaker(head, change)

    def _weaker(self, head: RuleContext, change: PolicyChange) -> Finding:
        policy = ("governance", "policies", change.classification)
        # The environment's entry, else the policy's.
        position = head.locate_spec((*policy, change.environment)) or head.locate_spec(policy)
        return self.finding(
            f"policy {code(change.classification)} in {change.environment}: {change.before} -> "
            f"{change.after}",
            "have a data owner approve the weaker policy, or keep the stronger action",
            file=head.spec_file,
            line=position[0] if position else None,
            column_number=position[1] if position else None,
        )
