"""Console report: grouped by model, colour only when asked for."""

from __future__ import annotations

from floe_ci.plan.changes import Plan
from floe_ci.report.console import render_console
from tests.unit.report_samples import review_plan, sample_result


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


def test_the_plan_sits_between_the_findings_and_the_verdict() -> None:
    plain = render_console(sample_result())
    text = render_console(sample_result(), review_plan())
    verdict = plain.rstrip("\n").rsplit("\n", 1)[1]
    # The findings part is the report without a plan, to the byte; the verdict stays last.
    assert text.startswith(plain[: plain.index(verdict)].rstrip("\n"))
    assert text.rstrip("\n").endswith("\n\n" + verdict)
    plan = text[len(plain[: plain.index(verdict)].rstrip("\n")) :]
    assert plan.lstrip("\n").splitlines()[0] == (
        "plan · origin/main (abc123) → HEAD · 2 models modified, 1 breaking, "
        "1 declassification to review, 1 floe.yaml setting changed"
    )
    for expected in (
        'floe.yaml changes (1)\n  ~ modified  deploy.namespace  "a" → "b"\n',
        "models changed (2)\n  ~ modified  stg_orders  breaking  sql\n"
        "      downstream models: orders, customers · cubes: orders\n"
        "      - removed       amount  breaking  used by orders.amount, customers.lifetime_value\n"
        "      ~ type changed  status  breaking  varchar → integer\n",
        "  ~ modified  orders  non-breaking  sql, materialization (view → table)\n"
        "      ~ renamed  buyer  non-breaking  from customer\n",
        "lineage changes\n  + added     node model.shop.m_00000\n"
        "  - removed   edge model.shop.stg_orders → model.shop.orders\n",
        "policy impact\n  ~ stg_customers.email  pii → none  removed  needs review\n"
        "      effective action production: restrict → none\n"
        "  ~ policy pii production: restrict → mask  weaker\n"
        "  + new finding FLOE401 unprotected-consumption happened\n"
        "  - resolved finding FLOE101 unpoliced-classification happened\n",
        "review findings (1)\n  ! warning  FLOE501 declassification  stg_customers.email\n",
    ):
        assert expected in plan, expected


def test_an_empty_plan_says_so_and_colour_stays_off_without_a_terminal() -> None:
    plan = Plan(base_ref="main (abc)", head_ref="working tree")
    text = render_console(sample_result(), plan)
    assert "plan · main (abc) → working tree · no change to models, columns" in text
    assert "models changed" not in text and "policy impact" not in text
    assert "\x1b[" not in text
    coloured = render_console(sample_result(), review_plan_with_markup(), color=True)
    assert "\x1b[1;31mbreaking" in coloured  # a breaking change is red on a terminal


def review_plan_with_markup() -> Plan:
    plan = review_plan()
    odd = plan.models[0].model_copy(update={"name": "[bold]x[/bold]"})
    return plan.model_copy(update={"models": [odd, *plan.models[1:]]})


def test_rich_markup_in_plan_names_is_printed_literally() -> None:
    plan = review_plan_with_markup()
    assert "~ modified  [bold]x[/bold]  breaking" in render_console(sample_result(), plan)
