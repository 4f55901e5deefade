"""Renderers: one CheckResult in, one text out (console, JSON, Markdown, SARIF, GitHub)."""

from floe_ci.report.formats import FORMATS, render

__all__ = ["FORMATS", "render"]
