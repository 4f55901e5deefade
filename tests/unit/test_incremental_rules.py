"""governance.incremental: reused findings equal a full evaluation, and only what an edit
reaches is evaluated again (the real lineage analysis, no dbt; the oracle is
tests/incremental_support.py)."""

from __future__ import annotations

from dataclasses import replace

from floe_ci.governance.incremental import relation_keys
from floe_ci.testing import Model, Project, Source
from tests.incremental_support import reuse_against_full

EMAIL = {"classification": "pii", "pii_type": "email", "sensitivity": "high"}
SPEC = {
    "governance": {
        "policies": {
            "pii": {
                "production": {"action": "restrict", "requires_role": ["pii_reader"]},
                "non_production": {"action": "mask"},
            }
        }
    }
}
CRM = Source("crm", "customers", columns=["id", "email", "phone"])
STAGING = Model(
    "stg_customers",
    "select id, email, phone from {{ source('crm', 'customers') }}",
    columns={"id": None, "email": EMAIL, "phone": None},
)
CONTACTS = Model(
    "contacts",
    "select id, email as contact_email, phone from {{ ref('stg_customers') }}",
    columns=["id", "contact_email", "phone"],
)
REPORT = Model(
    "contact_report",
    "select id, contact_email from {{ ref('contacts') }}",
    columns=["id", "contact_email"],
)
OTHER = Model("other", "select 1 as email_address", columns=["email_address"])


def shop(*models: Model) -> Project:
    return Project(sources=[CRM], models=list(models), spec=SPEC)


BASE = shop(STAGING, CONTACTS, REPORT, OTHER)


def test_an_unchanged_project_evaluates_nothing_and_finds_the_same() -> None:
    assert reuse_against_full(BASE.context(), BASE.context()) == 0


def test_an_edit_re_evaluates_the_model_and_its_descendants_only() -> None:
    classified = replace(CONTACTS, columns={"id": None, "contact_email": EMAIL, "phone": None})
    after = shop(STAGING, classified, REPORT, OTHER)
    assert reuse_against_full(BASE.context(), after.context()) == 2  # contacts, the report


def test_an_upstream_declassification_reaches_every_descendant_and_the_source() -> None:
    declassified = replace(STAGING, columns=["id", "email", "phone"])
    after = shop(declassified, CONTACTS, REPORT, OTHER)
    # staging, contacts, the report, and the source it reads (FLOE201 looks at its readers)
    assert reuse_against_full(BASE.context(), after.context()) == 4


def test_a_new_model_is_evaluated_and_the_rest_reused() -> None:
    extra = Model("phones", "select phone from {{ ref('stg_customers') }}", columns=["phone"])
    after = shop(STAGING, CONTACTS, REPORT, OTHER, extra)
    assert reuse_against_full(BASE.context(), after.context()) == 1


def test_a_model_reading_a_relation_it_does_not_depend_on_evaluates_everything() -> None:
    """Its inheritance would follow an edge the DAG does not have: no keys, no reuse."""
    hidden = Model("hidden", "select contact_email from main.contacts", columns=["contact_email"])
    project = shop(STAGING, CONTACTS, REPORT, OTHER, hidden)
    ctx = project.context()
    assert relation_keys(ctx, "key") is None
    assert reuse_against_full(ctx, project.context()) == len(ctx.models) + len(ctx.inputs)


def test_keys_ignore_the_parse_time_and_follow_the_project_key() -> None:
    ctx = BASE.context()
    keys = relation_keys(ctx, "key")
    assert keys is not None
    for model in ctx.models.values():
        model.node = {**model.node, "created_at": 1.5}  # type: ignore[misc]
    assert relation_keys(ctx, "key") == keys
    other = relation_keys(ctx, "another key")
    assert other is not None and not set(other.values()) & set(keys.values())


def test_a_source_read_without_source_is_keyed_like_a_parent() -> None:
    """Fivetran's union macros pick the relation: dbt's DAG misses the edge, the keys not."""
    raw = Model("raw_reader", "select email from crm.customers", columns=["email"])
    before = shop(STAGING, CONTACTS, REPORT, OTHER, raw)
    ctx = before.context()
    assert "source.shop.crm.customers" not in ctx.models["model.shop.raw_reader"].parents
    keys = relation_keys(ctx, "key")
    assert keys is not None
    wider = Source("crm", "customers", columns=["id", "email", "phone", "ssn"])
    after = Project(sources=[wider], models=[STAGING, CONTACTS, REPORT, OTHER, raw], spec=SPEC)
    changed = relation_keys(after.context(), "key")
    assert changed is not None
    assert changed["model.shop.raw_reader"] != keys["model.shop.raw_reader"]
    assert changed["model.shop.other"] == keys["model.shop.other"]
    reuse_against_full(ctx, after.context())
