"""The comment's sections for a base-vs-head Plan: policy impact, models, columns, floe.yaml,
lineage (with a Mermaid graph). Each section has its DROP_ORDER key, so an oversized comment
loses the lineage graph first and the policy impact last of the plan's sections.

Every table has two columns, the thing and what happened to it, so that a table fits GitHub's
comment column (880 px) however long the names; a part with nothing to say is left out of
its cell rather than shown empty, and downstream lists are capped ("and 396 more").
"""

from __future__ import annotations

import json
from typing import Any

from floe_ci.plan.changes import (
    ClassificationChange,
    ColumnChange,
    ModelChange,
    Plan,
    cap_names,
)
from floe_ci.report.check_sections import ARROW, arrows, plural
from floe_ci.report.markdown_text import inline_cell, inline_code, inline_message
from floe_ci.report.plan_summary import NO_CHANGE, summary_parts
from floe_ci.report.pr_comment import CommentSection

_CATEGORY = {"breaking": "💥 breaking", "non_breaking": "non-breaking"}
DECLARED = "declared columns: lineage unresolved"
# The lineage changes list is context, not a verdict: past this it points at the JSON report.
MAX_LINEAGE_LINES = 50


def plan_headline(plan: Plan, *, new_findings: int = 0, existing_findings: int = 0) -> str:
    """One line under the verdict: how big the change is, what needs a reviewer, and how
    many findings the change brings against those that were there before."""
    parts = summary_parts(plan)
    if parts:
        shown = [f"**{p.text}**" if p.needs_review else p.text for p in parts]
        line = f"Against {inline_code(plan.base_ref)}: " + ", ".join(shown) + "."
    else:
        line = f"{NO_CHANGE} against {inline_code(plan.base_ref)}."
    counts = []
    if new_findings:
        counts.append(f"**{plural(new_findings, 'new finding')}**")
    if existing_findings:
        counts.append(f"{plural(existing_findings, 'finding')} existed before this change")
    resolved = len(plan.policy.resolved_findings)
    if resolved:
        counts.append(f"{resolved} resolved")
    return line + (" " + ", ".join(counts) + "." if counts else "")


def plan_sections(plan: Plan) -> list[CommentSection]:
    sections: list[CommentSection] = []
    policy = _policy_impact(plan)
    if policy is not None:
        sections.append(policy)
    if plan.models:
        sections.append(_models(plan.models))
    columns = [(m, c) for m in plan.models for c in m.columns]
    if columns:
        rows = ["| Column | Change |", "| --- | --- |"]
        rows += [
            f"| {inline_code(f'{model.name}.{column.column}')} | {_column(column)} |"
            for model, column in columns
        ]
        sections.append(
            CommentSection("column-changes", f"Column changes ({len(columns)})", "\n".join(rows))
        )
    if plan.config:
        rows = ["| Setting | Change |", "| --- | --- |"]
        for c in plan.config:
            if c.kind == "modified":
                change = f"{_value(c.before)} {ARROW} {_value(c.after)}"
            else:
                change = f"{c.kind}: {_value(c.after if c.kind == 'added' else c.before)}"
            rows.append(f"| {inline_code(c.path)} | {change} |")
        sections.append(
            CommentSection(
                "config-changes", f"floe.yaml changes ({len(plan.config)})", "\n".join(rows)
            )
        )
    lineage = plan.lineage
    changed = lineage.nodes_added + lineage.nodes_removed
    if changed or lineage.edges_added or lineage.edges_removed:
        lines = [
            f"- node {kind}: {inline_code(n)}"
            for kind, nodes in (("added", lineage.nodes_added), ("removed", lineage.nodes_removed))
            for n in nodes
        ]
        lines += [
            f"- edge {kind}: {inline_code(a)} {ARROW} {inline_code(b)}"
            for kind, edges in (("added", lineage.edges_added), ("removed", lineage.edges_removed))
            for a, b in edges
        ]
        if len(lines) > MAX_LINEAGE_LINES:
            more = len(lines) - MAX_LINEAGE_LINES
            lines = [*lines[:MAX_LINEAGE_LINES], f"- … and {more} more (the JSON report has all)"]
        sections.append(CommentSection("lineage-changes", "Lineage changes", "\n".join(lines)))
    if lineage.mermaid.strip():
        body = f"```mermaid\n{lineage.mermaid.strip()}\n```"
        if lineage.mermaid_truncated:
            body += "\n\n*The graph shows part of the change; the job summary lists every node.*"
        sections.append(CommentSection("lineage-graph", "Lineage graph of the change", body))
    return sections


def _models(models: list[ModelChange]) -> CommentSection:
    rows = ["| Model | Change |", "| --- | --- |"]
    for model in models:
        what = [model.kind, _CATEGORY[model.category]]
        why = ", ".join(model.reasons)
        if (
            model.previous_materialization
            and model.materialization
            and model.previous_materialization != model.materialization
        ):
            why += f" ({model.previous_materialization} {ARROW} {model.materialization})"
        if why:
            what.append(inline_cell(why))
        details = [" · ".join(what)]
        if model.declared_columns:
            details.append(f"_{DECLARED}_")
        for label, names in (
            ("downstream", model.downstream_models),
            ("exposures", model.downstream_exposures),
            ("cubes", model.affected_cubes),
        ):
            if names:
                details.append(f"{label}: {names_list(names)}")
        rows.append(f"| {inline_code(model.name)} | {'<br>'.join(details)} |")
    return CommentSection("model-changes", f"Models changed ({len(models)})", "\n".join(rows))


def _column(column: ColumnChange) -> str:
    what = column.kind.replace("_", " ")
    if column.kind == "type_changed":
        what += f": {inline_code(column.before_type)} {ARROW} {inline_code(column.after_type)}"
    elif column.kind == "renamed":
        what += f" from {inline_code(column.renamed_from)}"
    details = [f"{what} · {_CATEGORY[column.category]}"]
    if column.renamed_downstream:
        details.append(f"followed downstream: {names_list(column.renamed_downstream)}")
    if column.used_by:
        details.append(f"used by: {names_list(column.used_by)}")
    return "<br>".join(details)


def _policy_impact(plan: Plan) -> CommentSection | None:
    """Classification and policy changes, and the findings the change resolves (the new
    ones have their own section, so that each finding is shown once)."""
    impact = plan.policy
    if not (impact.classifications or impact.policies or impact.resolved_findings):
        return None
    parts: list[str] = []
    if impact.classifications:
        parts += ["| Column | Classification |", "| --- | --- |"]
        parts += [_classification_row(c) for c in impact.classifications]
        parts.append("")
    if impact.policies:
        parts += ["| Policy | Change |", "| --- | --- |"]
        parts += [
            f"| {inline_code(p.classification)} | {p.environment}: {inline_cell(p.before)} "
            f"{ARROW} {inline_cell(p.after)} · {p.direction} |"
            for p in impact.policies
        ]
        parts.append("")
    resolved = impact.resolved_findings
    if resolved:
        parts.append(f"**Resolved findings ({len(resolved)}):**")
        parts += [f"- `{f.rule_id}` {inline_message(arrows(f.message))}" for f in resolved]
        parts.append("")
    return CommentSection("policy-impact", "Policy impact", "\n".join(parts), open=True)


def _classification_row(change: ClassificationChange) -> str:
    before = change.before or "none"
    after = change.after or "none"
    what = f"{inline_code(before)} {ARROW} {inline_code(after)} · {change.direction}"
    if change.needs_review:
        what += " · ⚠️ needs review"
    effective = " · ".join(
        f"{env}: {inline_cell(change.effective_before.get(env, 'none'))} {ARROW} "
        f"{inline_cell(change.effective_after.get(env, 'none'))}"
        for env in sorted(set(change.effective_before) | set(change.effective_after))
    )
    if effective:
        what += f"<br>effective action: {effective}"
    return f"| {inline_code(f'{change.model}.{change.column}')} | {what} |"


def names_list(names: list[str]) -> str:
    """Names as code, the first NAMES_SHOWN of them, then `and N more`."""
    shown, more = cap_names(names)
    text = ", ".join(inline_code(n) for n in shown)
    return text + (f" and {more} more" if more else "")


def _value(value: Any) -> str:
    if value is None:
        return "`null`"
    return inline_code(json.dumps(value, sort_keys=True, default=str), 200)
