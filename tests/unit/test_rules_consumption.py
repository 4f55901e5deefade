"""FLOE401/FLOE402: classified data served by Cube, and Cube selections that select nothing."""

from __future__ import annotations

from typing import Any

from floe_ci.testing import Model, Project, Source, check_fails, check_passes

CRM = Source("crm", "customers", columns=["id", "email", "country"])
STAGING = Model(
    "stg_customers",
    "select id, email, country from {{ source('crm', 'customers') }}",
    columns={"id": None, "email": {"classification": "pii"}, "country": None},
    folder="staging",
)
CUSTOMERS = Model(
    "customers",
    "select id, email, country from {{ ref('stg_customers') }}",
    columns={
        "id": None,
        "email": {"classification": "pii"},
        "country": {"classification": "marketing"},
    },
    folder="marts",
)
# Inherits stg_customers.email's classification through lineage, declares nothing.
CONTACTS = Model(
    "customer_contacts",
    "select id, email as contact_email from {{ ref('stg_customers') }}",
    folder="marts",
    tags=["crm"],
)
RESTRICTED = {"action": "restrict", "requires_role": ["pii_reader"]}
SYNTHETIC = {"action": "synthesize"}


def served(models: list[str] | None, *, cube: bool = True, **policies: Any) -> Project:
    """The shop with Cube serving `models` (None: no list, all marts); pii is restricted."""
    policies = {"pii": {"production": RESTRICTED, "non_production": {"action": "mask"}}, **policies}
    consumption: dict[str, Any] = {"enabled": cube, "cube": {}}
    if models is not None:
        consumption["cube"]["models"] = models
    return Project(
        sources=[CRM],
        models=[STAGING, CUSTOMERS, CONTACTS],
        spec={"consumption": consumption, "governance": {"policies": policies}},
    )


MARKETING_SYNTHETIC = {"production": SYNTHETIC, "non_production": SYNTHETIC}
MARKETING_MASKED = {"production": {"action": "mask"}, "non_production": SYNTHETIC}


def test_a_served_column_whose_policy_does_not_protect_it() -> None:
    [finding] = check_fails("FLOE401", served(["customers"], marketing=MARKETING_SYNTHETIC))
    assert (finding.model, finding.column, finding.severity) == ("customers", "country", "error")
    assert "(classification `marketing`) is served by Cube unprotected" in finding.message
    assert "production action `synthesize`" in finding.message
    assert finding.file == "models/marts/_schema.yml"


def test_protected_unserved_or_non_production_columns_pass() -> None:
    check_passes("FLOE401", served(["customers"], marketing=MARKETING_MASKED))
    check_passes("FLOE401", served(["customers"], cube=False, marketing=MARKETING_SYNTHETIC))
    check_passes("FLOE401", served(["customer_contacts"], marketing=MARKETING_SYNTHETIC))
    # synthesize protects non-production
    check_passes(
        "FLOE401",
        served(["customers"], marketing=MARKETING_SYNTHETIC),
        environments=("non_production",),
    )


def test_a_classification_inherited_through_lineage_counts_when_served() -> None:
    pii_unprotected = {"production": SYNTHETIC, "non_production": SYNTHETIC}
    found = check_fails("FLOE401", served(["tag:crm"], pii=pii_unprotected))
    assert [(f.model, f.column) for f in found] == [("customer_contacts", "contact_email")]


def test_no_model_list_serves_the_marts_or_else_the_leaves() -> None:
    found = check_fails("FLOE401", served(None, marketing=MARKETING_SYNTHETIC))
    assert [(f.model, f.column) for f in found] == [("customers", "country")]
    # Without a marts folder the leaf models are served: `leaf`, not `stg` it selects from.
    email = {"email": {"classification": "pii"}}
    stg = Model("stg", "select email from {{ source('crm', 'customers') }}", columns=email)
    leaf = Model("leaf", "select email from {{ ref('stg') }}", columns=email)
    unprotected = {"pii": {"production": SYNTHETIC, "non_production": SYNTHETIC}}
    flat = Project(
        sources=[CRM],
        models=[stg, leaf],
        spec={
            "consumption": {"enabled": True, "cube": {}},
            "governance": {"policies": unprotected},
        },
    )
    assert [f.model for f in check_fails("FLOE401", flat)] == ["leaf"]


def test_unknown_cube_model_and_tag() -> None:
    spec = """\
name: shop
compute: {target: duckdb}
consumption:
  enabled: true
  cube:
    models: [customers, customerz, "tag:reporting", "tag:crm"]
"""
    project = Project(sources=[CRM], models=[STAGING, CUSTOMERS, CONTACTS], spec=spec)
    typo, tag = check_fails("FLOE402", project)
    assert typo.message == "`consumption.cube.models`: no dbt model `customerz`"
    assert tag.message == "`consumption.cube.models`: no model has the tag `reporting`"
    assert (typo.file, typo.line, tag.line) == ("floe.yaml", 6, 6)
    assert (typo.column_number, tag.column_number) == (25, 36)
    check_passes("FLOE402", served(["customers", "tag:crm"]))
    check_passes("FLOE402", served(["customerz"], cube=False))  # Cube off: nothing served
