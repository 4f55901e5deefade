"""FLOE501-FLOE503: what a pull request changes, base project vs head project, without dbt.

`check_fails(rule, head, base=base)` checks both revisions, builds the Plan between them
(plan/build.py) and runs the one review rule over its changes.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from floe_ci.testing import Model, Project, Source, check_fails, check_passes

CRM = Source("crm", "customers", columns=["id", "email", "country"])
EMAIL = {"classification": "pii", "pii_type": "email", "sensitivity": "high"}
STAGING = Model(
    "stg_customers",
    "select id, email, country from {{ source('crm', 'customers') }}",
    columns={"id": None, "email": EMAIL, "country": None},
    data_types={"id": "integer"},
    folder="staging",
)
CUSTOMERS_SQL = "select id, email, country from {{ ref('stg_customers') }}"
CUSTOMERS = Model(
    "customers",
    CUSTOMERS_SQL,
    columns={"id": None, "email": EMAIL, "country": None},
    folder="marts",
)
POLICIES: dict[str, Any] = {
    "pii": {
        "production": {"action": "restrict", "requires_role": ["pii_reader"]},
        "non_production": {"action": "mask"},
    },
    "marketing": {"production": {"action": "mask"}, "non_production": {"action": "mask"}},
}
CUBE = {"enabled": True, "cube": {"models": ["customers"]}}
BASE = Project(
    sources=[CRM],
    models=[STAGING, CUSTOMERS],
    spec={"consumption": CUBE, "governance": {"policies": POLICIES}},
)


def head_with(*models: Model, policies: dict[str, Any] = POLICIES) -> Project:
    """BASE with these models replacing those of the same name, and these policies."""
    changed = {m.name: m for m in models}
    spec = {"consumption": CUBE, "governance": {"policies": policies}}
    return replace(BASE, models=[changed.get(m.name, m) for m in BASE.models], spec=spec)


def test_an_unchanged_pull_request_raises_nothing() -> None:
    for rule in ("FLOE501", "FLOE502", "FLOE503"):
        check_passes(rule, BASE, base=BASE)


def test_a_removed_classification_is_flagged() -> None:
    head = head_with(replace(STAGING, columns={"id": None, "email": None, "country": None}))
    [finding] = check_fails("FLOE501", head, base=BASE)
    assert (finding.model, finding.column, finding.severity) == (
        "stg_customers",
        "email",
        "warning",
    )
    assert finding.message == (
        "`stg_customers.email` is no longer classified (was `pii`); effective action "
        "production: restrict -> none, non_production: mask -> none"
    )
    assert (finding.node_id, finding.file) == (
        "model.shop.stg_customers",
        "models/staging/_schema.yml",
    )


def test_a_weaker_classification_is_flagged_a_stricter_one_is_not() -> None:
    marketing = {"classification": "marketing"}
    head = head_with(replace(CUSTOMERS, columns={"id": None, "email": marketing, "country": None}))
    [finding] = check_fails("FLOE501", head, base=BASE)
    assert "`customers.email` is protected less: `pii` (high) -> `marketing` (medium)" in (
        finding.message
    )
    critical = {**EMAIL, "sensitivity": "critical"}
    head = head_with(replace(CUSTOMERS, columns={"id": None, "email": critical, "country": None}))
    check_passes("FLOE501", head, base=BASE)


def test_a_dropped_column_used_downstream_and_by_a_cube_is_breaking() -> None:
    head = head_with(
        replace(
            STAGING,
            sql="select id, country from {{ source('crm', 'customers') }}",
            columns={"id": None, "country": None},
        )
    )
    [finding] = check_fails("FLOE502", head, base=BASE)
    assert finding.message == (
        "breaking change: `stg_customers`: `email` removed; affects models `customers`; "
        "Cube cubes `customers`"
    )
    assert (finding.model, finding.file) == ("stg_customers", "models/staging/stg_customers.sql")


def test_renamed_and_retyped_columns_are_breaking() -> None:
    renamed = replace(CUSTOMERS, sql=CUSTOMERS_SQL.replace("email,", "email as contact,"))
    [finding] = check_fails("FLOE502", head_with(renamed), base=BASE)
    assert "`customers`: `email` renamed to `contact`" in finding.message
    retyped = replace(STAGING, data_types={"id": "varchar"})
    [finding] = check_fails("FLOE502", head_with(retyped), base=BASE)
    assert "`stg_customers`: `id` integer -> varchar" in finding.message


def test_a_removed_model_that_cube_serves_is_breaking_an_added_column_is_not() -> None:
    head = replace(BASE, models=[STAGING])
    [finding] = check_fails("FLOE502", head, base=BASE)
    assert (
        finding.message
        == "breaking change: model `customers` is removed; affects Cube cubes `customers`"
    )
    assert finding.file is None  # the model is gone from the head
    wider = replace(CUSTOMERS, sql=CUSTOMERS_SQL.replace("country", "country, 1 as n"))
    check_passes("FLOE502", head_with(wider), base=BASE)


def test_a_weaker_or_removed_policy_is_flagged_at_its_line() -> None:
    head_spec = """\
name: shop
compute: {target: duckdb}
governance:
  policies:
    pii:
      production: {action: mask}
      non_production: {action: mask}
"""
    base = replace(BASE, spec={"governance": {"policies": {"pii": POLICIES["pii"]}}})
    [finding] = check_fails("FLOE503", replace(base, spec=head_spec), base=base)
    assert finding.message == "policy `pii` in production: restrict -> mask"
    assert (finding.file, finding.line, finding.column_number) == ("floe.yaml", 6, 7)

    removed = {**POLICIES, "pii": {"production": POLICIES["pii"]["production"]}}
    [finding] = check_fails("FLOE503", head_with(policies=removed), base=BASE)
    assert finding.message == "policy `pii` in non_production: mask -> none"


def test_a_stricter_policy_passes() -> None:
    stricter = {
        **POLICIES,
        "marketing": {**POLICIES["marketing"], "production": {"action": "redact"}},
    }
    check_passes("FLOE503", head_with(policies=stricter), base=BASE)
