"""Column changes in the Plan, computed from real column lineage (floe_ci.testing): a rename
followed downstream is one rename with its chain, columns of a model whose lineage is
unresolved are declared (never added or removed on the YAML's word), and a misspelt
sensitivity is no weakening."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from floe_ci.plan.build import build_plan
from floe_ci.plan.changes import ModelChange, Plan
from floe_ci.testing import Model, Project, Source

SOURCE = Source("crm", "contacts", columns=["id", "email", "name"])
STAGING = Model("stg_contact", "select id, email, name from {{ source('crm', 'contacts') }}")
INTERMEDIATE = Model("int_contact", "select id, email, name from {{ ref('stg_contact') }}")
MART = Model("contacts", "select id, email from {{ ref('int_contact') }}")
KEEPS_OLD_NAME = Model("legacy", "select email_address as email from {{ ref('stg_contact') }}")
BASE = Project(sources=[SOURCE], models=[STAGING, INTERMEDIATE, MART])


def plan(base: Project, head: Project) -> Plan:
    return build_plan(base.snapshot("base"), head.snapshot("head"))


def model(plan: Plan, name: str) -> ModelChange:
    return next(m for m in plan.models if m.name == name)


def renamed_email(models: Sequence[Model]) -> list[Model]:
    """`email` renamed to `email_address` at the origin, every child moved to the new name."""
    return [
        replace(m, sql=m.sql.replace("email", "email_address") if m.sql else m.sql)
        if m.name != "stg_contact"
        else replace(
            m, sql="select id, email as email_address, name from {{ source('crm', 'contacts') }}"
        )
        for m in models
    ]


def test_a_rename_passed_on_unchanged_is_one_rename_with_its_downstream_chain() -> None:
    head = replace(BASE, models=renamed_email(BASE.models))
    result = plan(BASE, head)
    [origin] = model(result, "stg_contact").columns
    assert (origin.kind, origin.renamed_from, origin.column) == (
        "renamed",
        "email",
        "email_address",
    )
    assert origin.renamed_downstream == ["int_contact.email_address", "contacts.email_address"]
    assert origin.used_by == ["int_contact.email"]
    # The children changed their SQL but report no rename of their own, and break nothing.
    for name in ("int_contact", "contacts"):
        child = model(result, name)
        assert child.columns == [] and child.reasons == ["sql"]
        assert child.category == "non_breaking"
    assert [f.model for f in result.review_findings if f.rule_id == "FLOE502"] == ["stg_contact"]


def test_the_chain_stops_where_a_child_keeps_the_old_name() -> None:
    base = replace(
        BASE,
        models=[STAGING, replace(KEEPS_OLD_NAME, sql="select email from {{ ref('stg_contact') }}")],
    )
    head = replace(BASE, models=[renamed_email([STAGING])[0], KEEPS_OLD_NAME])
    result = plan(base, head)
    [origin] = model(result, "stg_contact").columns
    assert origin.renamed_downstream == [] and origin.used_by == ["legacy.email"]
    assert model(result, "legacy").columns == []  # same output column, same value


def test_a_child_that_renames_without_upstream_rename_is_its_own_rename() -> None:
    head = replace(
        BASE,
        models=[
            STAGING,
            replace(
                INTERMEDIATE, sql="select id, email as mail, name from {{ ref('stg_contact') }}"
            ),
            replace(MART, sql="select id, mail as email from {{ ref('int_contact') }}"),
        ],
    )
    [rename] = model(plan(BASE, head), "int_contact").columns
    assert (rename.kind, rename.renamed_from, rename.renamed_downstream) == ("renamed", "email", [])


def test_columns_of_a_model_with_unresolved_lineage_are_declared_not_added_or_removed() -> None:
    python = Model(
        "scores",
        "def model(dbt, session):\n    return dbt.ref('stg_contact')\n",
        language="python",
        depends_on=["stg_contact"],
        columns=["id", "score"],
    )
    base = replace(BASE, models=[STAGING, python])
    # Only the YAML changed: a column documented or dropped from the docs is no change.
    for columns in (["id", "score", "segment"], ["id"]):
        head = replace(BASE, models=[STAGING, replace(python, columns=columns)])
        assert [m.name for m in plan(base, head).models] == []
    # The code changed too: the model is reported, its columns marked declared, none listed.
    edited = replace(python, sql=f"{python.sql}# scored differently\n", columns=["id", "segment"])
    change = model(plan(base, replace(BASE, models=[STAGING, edited])), "scores")
    assert change.reasons == ["sql"] and change.declared_columns and change.columns == []


def test_a_model_added_with_unresolved_lineage_lists_no_columns() -> None:
    python = Model("scores", language="python", depends_on=["stg_contact"], columns=["id"])
    change = model(plan(BASE, replace(BASE, models=[*BASE.models, python])), "scores")
    assert change.kind == "added" and change.declared_columns and change.columns == []
    resolved = model(
        plan(BASE, replace(BASE, models=[*BASE.models, replace(MART, name="m2")])), "m2"
    )
    assert not resolved.declared_columns and [c.column for c in resolved.columns] == ["id", "email"]


def test_a_resolved_model_still_reports_real_column_changes() -> None:
    head = replace(
        BASE,
        models=[
            STAGING,
            INTERMEDIATE,
            replace(MART, sql="select id from {{ ref('int_contact') }}"),
        ],
    )
    change = model(plan(BASE, head), "contacts")
    assert not change.declared_columns
    assert [(c.kind, c.column) for c in change.columns] == [("removed", "email")]


POLICIES = {
    "pii": {
        "production": {"action": "restrict", "requires_role": ["pii_reader"]},
        "non_production": {"action": "mask"},
    }
}


def test_a_misspelt_sensitivity_is_a_bad_value_not_a_weakening() -> None:
    classified = replace(
        STAGING, columns={"email": {"classification": "pii", "sensitivity": "high"}}
    )
    typo = replace(STAGING, columns={"email": {"classification": "pii", "sensitivity": "hgih"}})
    base = Project(
        sources=[SOURCE], models=[classified], spec={"governance": {"policies": POLICIES}}
    )
    result = plan(base, replace(base, models=[typo]))
    [change] = result.policy.classifications
    assert (change.direction, change.needs_review) == ("changed", False)
    assert not [f for f in result.review_findings if f.rule_id == "FLOE501"]
    assert "FLOE106" in {f.rule_id for f in result.policy.new_findings}
    lowered = replace(STAGING, columns={"email": {"classification": "pii", "sensitivity": "low"}})
    [weaker] = plan(base, replace(base, models=[lowered])).policy.classifications
    assert (weaker.direction, weaker.needs_review) == ("weaker", True)
