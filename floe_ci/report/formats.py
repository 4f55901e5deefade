"""The output formats of `floe-ci check`, by name."""

from __future__ import annotations

from collections.abc import Callable

from floe_ci.governance.result import CheckResult

FORMATS: dict[str, str] = {
    "console": "human-readable report grouped by model (colour only on a terminal)",
    "json": "machine-readable report (schemas/check-report.schema.json)",
    "markdown": "GitHub-flavoured Markdown for the job summary ($GITHUB_STEP_SUMMARY)",
    "sarif": "SARIF 2.1.0 for GitHub code scanning (upload-sarif)",
    "github": "GitHub workflow-command annotations (::error file=...::), capped as GitHub shows",
}


def render(result: CheckResult, fmt: str, *, color: bool = False) -> str:
    """Render the result in one format. Only the chosen renderer's module is imported."""
    renderer: Callable[[CheckResult], str]
    if fmt == "console":
        from floe_ci.report.console import render_console

        return render_console(result, color=color)
    if fmt == "json":
        from floe_ci.report.json_report import render_json as renderer
    elif fmt == "markdown":
        from floe_ci.report.markdown import render_markdown as renderer
    elif fmt == "sarif":
        from floe_ci.report.sarif import render_sarif as renderer
    elif fmt == "github":
        from floe_ci.report.github import render_github as renderer
    else:
        raise ValueError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")
    return renderer(result)
