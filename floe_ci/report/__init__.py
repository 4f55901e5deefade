"""Renderers: one CheckResult (and, after `check --base`, its Plan) in, one text out per
format (console, JSON, Markdown, SARIF, GitHub); `render` picks one by name."""

from floe_ci.report.formats import FORMATS, render

__all__ = ["FORMATS", "render"]
