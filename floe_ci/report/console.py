"""Console report: findings grouped by model, with colour only when asked (a terminal).

After `floe-ci check --base REF` the Plan follows the findings, above the verdict: what
changed in floe.yaml, the models and their columns (breaking or not, renames), lineage,
policy impact, and the findings the change itself raises. One console module for both, so
the plan reads in the findings' style (marks, colours, indents).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from floe_ci.governance.result import CheckResult, Finding
from floe_ci.report.plan_summary import NO_CHANGE, summary_parts

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from floe_ci.plan.changes import (
        ClassificationChange,
        ColumnChange,
        ConfigChange,
        ModelChange,
        Plan,
        PolicyImpact,
    )

_MARK = {"error": "✗", "warning": "!", "info": "i"}
_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def group_key(finding: Finding) -> str:
    """Findings about a model are grouped under it; the others under their file."""
    return f"model {finding.model}" if finding.model else (finding.file or "other")


def grouped(findings: Iterable[Finding]) -> dict[str, list[Finding]]:
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        groups.setdefault(group_key(finding), []).append(finding)
    # floe.yaml (policy) findings first, then models alphabetically.
    return dict(sorted(groups.items(), key=lambda kv: (kv[0].startswith("model "), kv[0])))


def render_console(
    result: CheckResult, plan: Plan | None = None, *, color: bool = False, width: int = 100
) -> str:
    from rich.console import Console
    from rich.control import strip_control_codes
    from rich.markup import escape
    from rich.text import Text

    buffer = io.StringIO()
    console = Console(
        file=buffer,
        force_terminal=color,
        color_system="standard" if color else None,
        width=width,
        highlight=False,
        soft_wrap=True,
        emoji=False,
    )
    envs = ", ".join(result.environments)
    console.print(
        f"[bold]floe-ci check[/] · pipeline [bold]{escape(result.pipeline)}[/] · "
        f"{result.stats.models} models, {result.stats.classified_columns} classified columns · "
        f"environments: {envs}"
    )
    for group, findings in grouped(result.findings).items():
        console.print()
        console.print(Text(group, style="bold underline"))
        # One print per group: rich's per-call cost made 20,000 findings take a minute.
        block = Text()
        for finding in findings:
            where = result.repo_path(finding) or "<unknown>"
            if finding.line is not None:
                where += f":{finding.line}"
                if finding.column_number is not None:
                    where += f":{finding.column_number}"
            if finding.waived:
                label, style = "~ waived ", "dim"
            else:
                label = f"{_MARK[finding.severity]} {finding.severity:<8}"
                style = _STYLE[finding.severity]
            if block:
                block.append("\n")
            block.append("  ")
            block.append(label, style=style)
            block.append(f" {finding.rule_id} ", style="bold")
            block.append(f"{finding.rule_name}  ", style="dim")
            block.append(where)
            block.append(f"\n      {finding.message}")
            if finding.waived:
                block.append(f"\n      waived: {finding.waiver_reason}", style="dim")
            elif finding.hint:
                block.append(f"\n      hint: {finding.hint}", style="dim")
        if color:
            console.print(block)
        else:  # what rich prints for it without colour (soft wrap: no wrapping), 10x faster
            buffer.write(strip_control_codes(block.plain) + "\n")
    if plan is not None:
        print_plan(console, plan)
    console.print()
    verdict = result.verdict()
    style = "bold red" if result.failed() else "bold green"
    mark = "✗" if result.failed() else "✓"
    console.print(Text(f"{mark} {verdict} (fail-on {result.fail_on})", style=style))
    return buffer.getvalue()


# The Plan (`check --base`): a mark and a colour per kind of change, as findings have.
_CHANGE = {
    "added": ("+", "green"),
    "removed": ("-", "red"),
    "modified": ("~", "yellow"),
    "renamed": ("~", "yellow"),
    "type_changed": ("~", "yellow"),
}
_CATEGORY = {"breaking": ("breaking", "bold red"), "non_breaking": ("non-breaking", "dim")}
_VALUE_LIMIT = 200  # a floe.yaml value shown whole would flood the terminal
_KIND_WIDTH = len("modified") + 1


def print_plan(console: Console, plan: Plan) -> None:
    """Print the plan's headline and one block per kind of change."""
    console.print()
    console.print(_headline(plan))
    if plan.config:
        _block(console, f"floe.yaml changes ({len(plan.config)})")
        for change in plan.config:
            _config(console, change)
    if plan.models:
        _block(console, f"models changed ({len(plan.models)})")
        for model in plan.models:
            _model(console, model)
    _lineage(console, plan)
    _policy(console, plan.policy)
    if plan.review_findings:
        _block(console, f"review findings ({len(plan.review_findings)})")
        for finding in plan.review_findings:
            mark = f"{_MARK[finding.severity]} {finding.severity:<8}"
            line = _line(mark, _STYLE[finding.severity])
            line.append(f" {finding.rule_id} ", style="bold")
            line.append(f"{finding.rule_name}  ", style="dim")
            line.append(".".join(p for p in (finding.model, finding.column) if p))
            console.print(line)
    if plan.deploy is not None:
        from rich.text import Text

        from floe_ci.report.deploy_plan_section import render_deploy_plan_lines

        title, *lines = render_deploy_plan_lines(plan.deploy)
        _block(console, title)
        for text in lines:
            console.print(Text(text))


def _headline(plan: Plan) -> Text:
    from rich.text import Text

    line = Text()
    line.append("plan", style="bold")
    line.append(f" · {plan.base_ref} → {plan.head_ref} · ")
    parts = summary_parts(plan)
    if not parts:
        line.append(NO_CHANGE.lower())
    for index, part in enumerate(parts):
        if index:
            line.append(", ")
        line.append(part.text, style="bold yellow" if part.needs_review else "")
    return line


def _block(console: Console, title: str) -> None:
    from rich.text import Text

    console.print()
    console.print(Text(title, style="bold underline"))


def _line(label: str, style: str, indent: int = 2) -> Text:
    from rich.text import Text

    line = Text(" " * indent)
    line.append(label, style=style)
    return line


def _change(kind: str, width: int, indent: int = 2) -> Text:
    """A line starting with the change's mark and kind, padded as the findings' severity is
    (`  + added    `, `  ~ modified `) so that the names after it line up."""
    mark, style = _CHANGE[kind]
    return _line(f"{mark} {kind.replace('_', ' '):<{width}}", style, indent)


def _config(console: Console, change: ConfigChange) -> None:
    line = _change(change.kind, _KIND_WIDTH)
    line.append(f" {change.path}", style="bold")
    if change.kind != "added":
        line.append(f"  {_value(change.before)}")
    if change.kind == "modified":
        line.append(" →")
    if change.kind != "removed":
        line.append(f" {_value(change.after)}")
    console.print(line)


def _model(console: Console, model: ModelChange) -> None:
    from rich.text import Text

    line = _change(model.kind, _KIND_WIDTH)
    line.append(f" {model.name}  ", style="bold")
    _category(line, model.category)
    why = ", ".join(model.reasons)
    if model.previous_materialization and model.previous_materialization != model.materialization:
        why += f" ({model.previous_materialization} → {model.materialization})"
    if why:
        line.append(f"  {why}")
    console.print(line)
    consumers = [
        f"{label}: {', '.join(names)}"
        for label, names in (
            ("downstream models", model.downstream_models),
            ("exposures", model.downstream_exposures),
            ("cubes", model.affected_cubes),
        )
        if names
    ]
    if consumers:
        console.print(Text("      " + " · ".join(consumers), style="dim"))
    width = max((len(c.kind) + 1 for c in model.columns), default=0)
    for column in model.columns:
        console.print(_column(column, width))


def _column(column: ColumnChange, width: int) -> Text:
    line = _change(column.kind, width, indent=6)
    line.append(f" {column.column}  ", style="bold")
    _category(line, column.category)
    if column.kind == "type_changed":
        line.append(f"  {column.before_type} → {column.after_type}")
    elif column.kind == "renamed":
        line.append(f"  from {column.renamed_from}")
    if column.used_by:
        line.append(f"  used by {', '.join(column.used_by)}", style="dim")
    return line


def _category(line: Text, category: str) -> None:
    label, style = _CATEGORY[category]
    line.append(label, style=style)


def _lineage(console: Console, plan: Plan) -> None:
    lineage = plan.lineage
    changes = [("added", "node", n) for n in lineage.nodes_added]
    changes += [("removed", "node", n) for n in lineage.nodes_removed]
    changes += [("added", "edge", f"{a} → {b}") for a, b in lineage.edges_added]
    changes += [("removed", "edge", f"{a} → {b}") for a, b in lineage.edges_removed]
    if not changes:
        return
    _block(console, "lineage changes")
    for kind, what, name in changes:
        line = _change(kind, _KIND_WIDTH)
        line.append(f" {what} {name}")
        console.print(line)


def _policy(console: Console, impact: PolicyImpact) -> None:
    from rich.text import Text

    if not (
        impact.classifications or impact.policies or impact.new_findings or impact.resolved_findings
    ):
        return
    _block(console, "policy impact")
    for change in impact.classifications:
        _classification(console, change)
    for policy in impact.policies:
        line = _line("~", "yellow")
        line.append(f" policy {policy.classification} ", style="bold")
        line.append(f"{policy.environment}: {policy.before} → {policy.after}  ")
        line.append(policy.direction, style=_direction_style(policy.direction))
        console.print(line)
    for label, mark, style, findings in (
        ("new finding", "+", "red", impact.new_findings),
        ("resolved finding", "-", "green", impact.resolved_findings),
    ):
        for finding in findings:
            line = Text("  ")
            line.append(f"{mark} {label}", style=style)
            line.append(f" {finding.rule_id} ", style="bold")
            line.append(finding.message)
            console.print(line)


def _classification(console: Console, change: ClassificationChange) -> None:
    from rich.text import Text

    line = _line("~", "yellow")
    line.append(f" {change.model}.{change.column}  ", style="bold")
    line.append(f"{change.before or 'none'} → {change.after or 'none'}  ")
    line.append(change.direction, style=_direction_style(change.direction))
    if change.needs_review:
        line.append("  needs review", style="bold yellow")
    console.print(line)
    effective = [
        f"{env}: {change.effective_before.get(env, 'none')} → "
        f"{change.effective_after.get(env, 'none')}"
        for env in sorted(set(change.effective_before) | set(change.effective_after))
    ]
    if effective:
        console.print(Text("      effective action " + ", ".join(effective), style="dim"))


def _direction_style(direction: str) -> str:
    # Weaker protection and removed classifications are what a reviewer must not miss.
    return "bold yellow" if direction in ("weaker", "removed") else ""


def _value(value: Any) -> str:
    if value is None:
        return "none"
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= _VALUE_LIMIT else text[: _VALUE_LIMIT - 1] + "…"
