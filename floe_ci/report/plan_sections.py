"""The comment's sections for a base-vs-head Plan: floe.yaml, models, columns, lineage (with
a Mermaid graph) and policy impact. Each section has its DROP_ORDER key, so an oversized
comment loses the lineage graph first and the policy impact last but one."""

from __future__ import annotations

import json
from typing import Any

from floe_ci.plan.changes import ClassificationChange, ModelChange, Plan
from floe_ci.report.markdown_text import inline_cell, inline_code
from floe_ci.report.plan_summary import NO_CHANGE, summary_parts
from floe_ci.report.pr_comment import CommentSection

_CATEGORY = {"breaking": "💥 breaking", "non_breaking": "non-breaking"}


def plan_headline(plan: Plan) -> str:
    """One line under the verdict: how big the change is, and what needs a reviewer."""
    parts = summary_parts(plan)
    if not parts:
        return f"{NO_CHANGE} against {inline_code(plan.base_ref)}."
    shown = [f"**{p.text}**" if p.needs_review else p.text for p in parts]
    return f"Against {inline_code(plan.base_ref)}: " + ", ".join(shown) + "."


def plan_sections(plan: Plan) -> list[CommentSection]:
    sections: list[CommentSection] = []
    policy = _policy_impact(plan)
    if policy is not None:
        sections.append(policy)
    if plan.models:
        sections.append(_models(plan.models))
    columns = [(m, c) for m in plan.models for c in m.columns]
    if columns:
        rows = [
            "| Column | Change | Category | Detail | Used by |",
            "| --- | --- | --- | --- | --- |",
        ]
        for model, column in columns:
            detail = ""
            if column.kind == "type_changed":
                detail = f"{inline_code(column.before_type)} → {inline_code(column.after_type)}"
            elif column.kind == "renamed":
                detail = f"from {inline_code(column.renamed_from)}"
            rows.append(
                f"| `{inline_cell(model.name)}.{inline_cell(column.column)}` "
                f"| {column.kind.replace('_', ' ')} | {_CATEGORY[column.category]} | {detail} "
                f"| {_names(column.used_by)} |"
            )
        sections.append(
            CommentSection("column-changes", f"Column changes ({len(columns)})", "\n".join(rows))
        )
    if plan.config:
        rows = ["| Setting | Change | Before | After |", "| --- | --- | --- | --- |"]
        rows += [
            f"| {inline_code(c.path)} | {c.kind} | {_value(c.before)} | {_value(c.after)} |"
            for c in plan.config
        ]
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
            f"- edge added: {inline_code(a)} → {inline_code(b)}" for a, b in lineage.edges_added
        ]
        lines += [
            f"- edge removed: {inline_code(a)} → {inline_code(b)}" for a, b in lineage.edges_removed
        ]
        sections.append(CommentSection("lineage-changes", "Lineage changes", "\n".join(lines)))
    if lineage.mermaid.strip():
        body = f"```mermaid\n{lineage.mermaid.strip()}\n```"
        if lineage.mermaid_truncated:
            body += "\n\n*The graph shows part of the change; the job summary lists every node.*"
        sections.append(CommentSection("lineage-graph", "Lineage graph of the change", body))
    return sections


def _models(models: list[ModelChange]) -> CommentSection:
    rows = [
        "| Model | Change | Category | Why | Downstream models | Exposures | Cubes |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for model in models:
        why = ", ".join(model.reasons)
        if (
            model.previous_materialization
            and model.previous_materialization != model.materialization
        ):
            why += f" ({model.previous_materialization} → {model.materialization})"
        rows.append(
            f"| {inline_code(model.name)} | {model.kind} | {_CATEGORY[model.category]} "
            f"| {inline_cell(why)} | {_names(model.downstream_models)} "
            f"| {_names(model.downstream_exposures)} | {_names(model.affected_cubes)} |"
        )
    return CommentSection("model-changes", f"Models changed ({len(models)})", "\n".join(rows))


def _policy_impact(plan: Plan) -> CommentSection | None:
    impact = plan.policy
    if not (
        impact.classifications or impact.policies or impact.new_findings or impact.resolved_findings
    ):
        return None
    parts: list[str] = []
    if impact.classifications:
        parts += [
            "| Column | Classification | Direction | Review | Effective action before → after |",
            "| --- | --- | --- | --- | --- |",
        ]
        parts += [_classification_row(c) for c in impact.classifications]
        parts.append("")
    if impact.policies:
        parts += [
            "| Policy | Environment | Before | After | Direction |",
            "| --- | --- | --- | --- | --- |",
        ]
        parts += [
            f"| {inline_code(p.classification)} | {p.environment} | {inline_cell(p.before)} "
            f"| {inline_cell(p.after)} | {p.direction} |"
            for p in impact.policies
        ]
        parts.append("")
    for label, findings in (
        ("New findings", impact.new_findings),
        ("Resolved findings", impact.resolved_findings),
    ):
        if findings:
            parts.append(f"**{label} ({len(findings)}):**")
            parts += [f"- {inline_code(f.rule_id)} {inline_cell(f.message)}" for f in findings]
            parts.append("")
    return CommentSection("policy-impact", "Policy impact", "\n".join(parts), open=True)


def _classification_row(change: ClassificationChange) -> str:
    before = change.before or "none"
    after = change.after or "none"
    effective = "<br>".join(
        f"{env}: {inline_cell(change.effective_before.get(env, 'none'))} → "
        f"{inline_cell(change.effective_after.get(env, 'none'))}"
        for env in sorted(set(change.effective_before) | set(change.effective_after))
    )
    review = "⚠️ needs review" if change.needs_review else ""
    return (
        f"| `{inline_cell(change.model)}.{inline_cell(change.column)}` "
        f"| {inline_code(before)} → {inline_code(after)} | {change.direction} | {review} "
        f"| {effective} |"
    )


def _names(names: list[str]) -> str:
    return ", ".join(inline_code(n) for n in names)


def _value(value: Any) -> str:
    if value is None:
        return ""
    return inline_code(json.dumps(value, sort_keys=True, default=str), 200)
