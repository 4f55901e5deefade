"""Console report: grouped by model, colour only when asked for."""

from __future__ import annotations

from floe_ci.report.console import render_console
from tests.unit.report_samples import sample_result


def test_grouped_by_model_with_floe_yaml_first() -> None:
    text = render_console(sample_result())
    headers = [line for line in text.splitlines() if line and not line.startswith(" ")]
    assert headers[1:4] == ["floe.yaml", "model customer_contacts", "model stg_customers"]
    assert "examples/shop/models/marts/_marts.yml:64" in text
    assert "waived: the domain alone identifies nobody" in text
    assert text.rstrip().endswith("✗ failed: 2 errors, 1 warning, 1 waived (fail-on error)")


def test_no_escape_codes_without_colour_and_some_with() -> None:
    assert "\x1b[" not in render_console(sample_result(), color=False)
    assert "\x1b[" in render_console(sample_result(), color=True)


def test_rich_markup_in_messages_is_printed_literally() -> None:
    from tests.unit.report_samples import finding

    odd = finding("FLOE201", "unclassified-pii", "warning", message="[bold]x[/bold]", file="f")
    assert "[bold]x[/bold]" in render_console(sample_result([odd]))
