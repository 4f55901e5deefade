"""FLOE106-FLOE109: values, keys and waivers of a column's `meta.floe`, on small projects."""

from __future__ import annotations

from typing import Any

from floe_ci.testing import Model, Project, check_fails, check_passes, run_rule

PII = {
    "production": {"action": "restrict", "requires_role": ["pii_reader"]},
    "non_production": {"action": "mask"},
}
EMAIL = {"classification": "pii", "pii_type": "email", "sensitivity": "high"}


def column(meta: Any) -> Project:
    """`customers.email` with this `floe` meta block."""
    customers = Model("customers", "select 'a@b.c' as email", columns={"email": meta})
    return Project(models=[customers], spec={"governance": {"policies": {"pii": PII}}})


def test_well_formed_meta_passes_every_meta_rule() -> None:
    for rule in ("FLOE106", "FLOE107", "FLOE108", "FLOE109"):
        check_passes(rule, column(EMAIL))
        check_passes(rule, column(None))  # no floe block at all


def test_unknown_sensitivity_suggests_the_level() -> None:
    [finding] = check_fails("FLOE106", column({**EMAIL, "sensitivity": "hgih"}))
    assert finding.message == "`customers.email`: unknown sensitivity 'hgih'"
    assert finding.hint == "did you mean `high`? expected one of: low, medium, high, critical"


def test_unknown_pii_type_suggests_the_type() -> None:
    [finding] = check_fails("FLOE107", column({**EMAIL, "pii_type": "e-mail"}))
    assert "unknown pii_type 'e-mail'" in finding.message
    assert finding.hint is not None and finding.hint.startswith("did you mean `email`?")
    check_passes("FLOE107", column({**EMAIL, "pii_type": "other"}))


def test_invalid_floe_meta_catches_a_typo_of_a_key() -> None:
    [finding] = check_fails("FLOE108", column({"clasification": "pii"}))
    assert "unknown key `clasification` in `meta.floe`; did you mean `classification`?" in (
        finding.message
    )


def test_invalid_floe_meta_shapes() -> None:
    [not_a_mapping] = check_fails("FLOE108", column("pii"))
    assert "`meta.floe` must be a mapping, got str" in not_a_mapping.message
    [not_a_string] = check_fails("FLOE108", column({"classification": ["pii"]}))
    assert "`classification` must be a string, got ['pii']" in not_a_string.message
    [orphaned] = check_fails("FLOE108", column({"pii_type": "email", "sensitivity": "high"}))
    assert "`pii_type` and `sensitivity` set without a `classification`" in orphaned.message


def test_invalid_waivers() -> None:
    [unknown] = check_fails("FLOE109", column({**EMAIL, "waive": ["FLOE999"], "reason": "x"}))
    assert unknown.message == "`customers.email`: waiver names unknown rule `FLOE999`"
    [no_reason] = check_fails("FLOE109", column({**EMAIL, "waive": ["FLOE201"]}))
    assert "waiver of FLOE201 has no `reason`, so it is not applied" in no_reason.message
    [malformed] = check_fails("FLOE109", column({**EMAIL, "waive": {"FLOE201": True}}))
    assert "`waive` must be a list of rule ids" in malformed.message
    # Review findings are about the change, not a column: no waiver names them.
    [review] = check_fails("FLOE109", column({**EMAIL, "waive": ["FLOE501"], "reason": "x"}))
    assert "unknown rule `FLOE501`" in review.message


def test_a_waiver_names_rules_by_id_or_slug() -> None:
    by_slug = {**EMAIL, "waive": "unpoliced-classification", "reason": "policy is upstream"}
    check_passes("FLOE109", column(by_slug))


def staging_and_contacts(contact_meta: Any) -> Project:
    """A classified email renamed downstream, where `contact_meta` classifies or waives it."""
    return Project(
        models=[
            Model("stg_customers", "select 'a@b.c' as email", columns={"email": EMAIL}),
            Model(
                "contacts",
                "select email as contact from {{ ref('stg_customers') }}",
                columns={"contact": contact_meta},
            ),
        ],
        spec={"governance": {"policies": {"pii": PII}}},
    )


def test_a_waiver_with_a_reason_applies_and_one_without_does_not() -> None:
    waived = {"waive": ["FLOE301"], "reason": "masked by the CRM on import"}
    [finding] = run_rule("FLOE301", staging_and_contacts(waived))
    assert finding.waived and finding.waiver_reason == "masked by the CRM on import"
    check_passes("FLOE301", staging_and_contacts(waived))

    [counted] = check_fails("FLOE301", staging_and_contacts({"waive": ["FLOE301"]}))
    assert counted.column == "contact" and not counted.waived
