"""FLOE301/FLOE302: classified data followed through the column lineage of the models' SQL.

The lineage is the real analysis (sqlglot over each model's SQL); only dbt is left out.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from floe_ci.testing import Model, Project, Source, check_fails, check_passes, run_rule

PII = {
    "production": {"action": "restrict", "requires_role": ["pii_reader"]},
    "non_production": {"action": "mask"},
}
CRM = Source("crm", "customers", columns=["id", "email", "phone", "country"])
EMAIL = {"classification": "pii", "pii_type": "email", "sensitivity": "high"}
STAGING = Model(
    "stg_customers",
    "select id, lower(email) as email, phone, country from {{ source('crm', 'customers') }}",
    columns={
        "id": None,
        "email": EMAIL,
        "phone": {"classification": "pii", "pii_type": "phone", "sensitivity": "medium"},
        "country": None,
    },
)


def shop(*models: Model, **project: Any) -> Project:
    return Project(
        sources=[CRM],
        models=[STAGING, *models],
        spec={"governance": {"policies": {"pii": PII}}},
        **project,
    )


CONTACTS = Model(
    "customer_contacts",
    """
with base as (select id, email from {{ ref('stg_customers') }})
select id, email as contact_email from base
""",
    columns=["id", "contact_email"],
    folder="marts",
)


def test_pii_renamed_through_a_cte_is_caught_with_its_path() -> None:
    [finding] = check_fails("FLOE301", shop(CONTACTS))
    assert (finding.model, finding.column) == ("customer_contacts", "contact_email")
    assert finding.lineage_path == ["stg_customers.email", "customer_contacts.contact_email"]
    assert "path: stg_customers.email -> customer_contacts.contact_email" in finding.message
    assert "carries no classification" in finding.message
    assert finding.hint is not None
    assert "classification: pii, pii_type: email, sensitivity: high" in finding.hint
    assert finding.file == "models/marts/_schema.yml"


def test_an_undeclared_column_is_located_at_its_alias_in_the_sql() -> None:
    orders = Model(
        "orders", "select id,\n  email as buyer_contact\nfrom {{ ref('stg_customers') }}"
    )
    [finding] = check_fails("FLOE301", shop(orders))
    assert finding.lineage_path == ["stg_customers.email", "orders.buyer_contact"]
    assert (finding.file, finding.line, finding.column_number) == ("models/orders.sql", 2, 12)


def test_classified_at_least_as_strictly_passes_weaker_fails() -> None:
    strict = {"classification": "pii", "sensitivity": "critical"}
    check_passes("FLOE301", shop(replace(CONTACTS, columns={"contact_email": strict})))
    weak = {"classification": "pii", "sensitivity": "low"}
    [finding] = check_fails("FLOE301", shop(replace(CONTACTS, columns={"contact_email": weak})))
    assert "classified `pii` with sensitivity `low`, weaker than its source" in finding.message


def test_the_strictest_source_decides() -> None:
    both = Model(
        "callers",
        "select phone || email as reach from {{ ref('stg_customers') }}",
        columns={"reach": {"classification": "pii", "sensitivity": "medium"}},
    )
    [finding] = check_fails("FLOE301", shop(both))  # medium is enough for phone, not email
    assert finding.lineage_path == ["stg_customers.email", "callers.reach"]


def test_chains_report_the_whole_path_and_unclassified_data_passes() -> None:
    orders = Model("orders", "select id, phone as buyer_phone from {{ ref('stg_customers') }}")
    calls = Model("calls", "select buyer_phone as callback_number from {{ ref('orders') }}")
    found = check_fails("FLOE301", shop(orders, calls))
    assert [f.lineage_path for f in found if f.model == "calls"] == [
        ["stg_customers.phone", "orders.buyer_phone", "calls.callback_number"]
    ]
    countries = Model("countries", "select country, count(*) as n from {{ ref('stg_customers') }}")
    check_passes("FLOE301", shop(countries))


def test_without_lineage_nothing_is_inherited() -> None:
    check_passes("FLOE301", shop(CONTACTS, lineage=False))


def test_a_python_model_downstream_of_classified_data_is_unresolved() -> None:
    scores = Model("customer_scores", language="python", depends_on=["stg_customers"])
    [finding] = check_fails("FLOE302", shop(scores))
    assert (finding.model, finding.column, finding.severity) == ("customer_scores", None, "warning")
    assert finding.file == "models/customer_scores.py"
    assert "a python model has no SQL to analyse" in finding.message
    # Reading only unclassified data, it cannot leak anything: not reported.
    check_passes(
        "FLOE302", Project(sources=[CRM], models=[replace(scores, depends_on=["crm.customers"])])
    )


def test_unresolved_columns_are_listed_then_summarized() -> None:
    events = Source("crm", "events")  # no declared columns: unqualified names are unknown
    picked = ", ".join(f"c{i}" for i in range(10))
    wide = Model(
        "wide",
        f"select s.email, {picked} from {{{{ ref('stg_customers') }}}} s "
        "join {{ source('crm', 'events') }} e on s.id = e.id",
    )
    project = replace(shop(wide), sources=[CRM, events])
    found = check_fails("FLOE302", project)
    columns = [f.column for f in found if f.column is not None]
    assert len(columns) == 8 and "email" not in columns
    [summary] = [f for f in found if f.column is None]
    assert summary.message == "`wide`: 2 more column(s) with unresolved lineage"
    [first] = [f for f in found if f.column == "c0"]
    assert first.line == 1 and "`c0` is unqualified" in first.message


def test_resolved_lineage_passes_and_no_lineage_reports_nothing() -> None:
    check_passes("FLOE302", shop(CONTACTS))
    scores = Model("customer_scores", language="python", depends_on=["stg_customers"])
    assert run_rule("FLOE302", shop(scores, lineage=False)) == []
