"""Console report: findings grouped by model, with colour only when asked (a terminal)."""

from __future__ import annotations

import io
from collections.abc import Iterable

from floe_ci.governance.result import CheckResult, Finding

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


def render_console(result: CheckResult, *, color: bool = False, width: int = 100) -> str:
    from rich.console import Console
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
            line = Text("  ")
            line.append(label, style=style)
            line.append(f" {finding.rule_id} ", style="bold")
            line.append(f"{finding.rule_name}  ", style="dim")
            line.append(where)
            console.print(line)
            console.print(Text(f"      {finding.message}"))
            if finding.waived:
                console.print(Text(f"      waived: {finding.waiver_reason}", style="dim"))
            elif finding.hint:
                console.print(Text(f"      hint: {finding.hint}", style="dim"))
    console.print()
    verdict = result.verdict()
    style = "bold red" if result.failed() else "bold green"
    mark = "✗" if result.failed() else "✓"
    console.print(Text(f"{mark} {verdict} (fail-on {result.fail_on})", style=style))
    return buffer.getvalue()
