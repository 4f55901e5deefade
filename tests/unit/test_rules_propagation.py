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


# -- edge kinds: what the SQL does to the value decides what FLOE301 asks -------------------

BIRTH_DATE = {"classification": "pii", "pii_type": "birth_date", "sensitivity": "high"}
MEMBERS = Source("claims", "members", columns=["member_id", "birth_date", "email"])
CALENDAR = Source("claims", "calendar", columns=["full_date", "day_of_week"])
STG_MEMBERS = Model(
    "stg_members",
    "select member_id, birth_date, email from {{ source('claims', 'members') }}",
    columns={"member_id": None, "birth_date": BIRTH_DATE, "email": EMAIL},
)


def members(*models: Model, spec: dict[str, Any] | None = None) -> Project:
    governance: dict[str, Any] = {"policies": {"pii": PII}, **(spec or {})}
    return Project(
        sources=[MEMBERS, CALENDAR],
        models=[STG_MEMBERS, *models],
        spec={"governance": governance},
    )


def only(rule: str, project: Project) -> Any:
    [finding] = check_fails(rule, project)
    return finding


def test_identity_and_rename_are_errors_that_name_no_kind() -> None:
    copy = Model("m", "select birth_date, email as contact from {{ ref('stg_members') }}")
    found = check_fails("FLOE301", members(copy))
    assert [(f.column, f.severity) for f in found] == [
        ("birth_date", "error"),
        ("contact", "error"),
    ]
    for finding in found:
        assert finding.message.endswith(f"path: {' -> '.join(finding.lineage_path)}")


def test_a_cast_carries_the_classification_and_says_so() -> None:
    cast = Model("m", "select cast(birth_date as date) as born from {{ ref('stg_members') }}")
    finding = only("FLOE301", members(cast))
    assert finding.severity == "error"
    assert finding.message.endswith("path: stg_members.birth_date -> m.born; cast to date")
    assert "classification: pii, pii_type: birth_date, sensitivity: high" in finding.hint


def test_a_string_function_carries_the_classification() -> None:
    lowered = Model("m", "select upper(trim(email)) as e from {{ ref('stg_members') }}")
    finding = only("FLOE301", members(lowered))
    assert (finding.severity, finding.message.rsplit("; ", 1)[-1]) == (
        "error",
        "derived by upper()",
    )


JOINED = Model(
    "member_dates",
    "select elig.member_id, cal.full_date as normalized_birth_date, cal.day_of_week "
    "from {{ ref('stg_members') }} as elig "
    "join {{ source('claims', 'calendar') }} as cal on elig.birth_date = cal.full_date",
)


def test_a_value_carried_through_an_equality_join_carries_the_classification() -> None:
    finding = only("FLOE301", members(JOINED))
    assert (finding.column, finding.severity) == ("normalized_birth_date", "error")
    assert finding.lineage_path == ["stg_members.birth_date", "member_dates.normalized_birth_date"]
    assert finding.message.endswith("; carried through the join on elig.birth_date = cal.full_date")
    classified = replace(JOINED, columns={"normalized_birth_date": BIRTH_DATE})
    check_passes("FLOE301", members(classified))


FLAGS = Model(
    "member_flags",
    "select member_id, case when birth_date is null then 1 else 0 end as birth_date_null "
    "from {{ ref('stg_members') }}",
)


def test_a_null_check_is_a_derived_indicator_reported_at_info() -> None:
    finding = only("FLOE301", members(FLAGS))
    assert (finding.column, finding.severity) == ("birth_date_null", "info")
    assert finding.message == (
        "`member_flags.birth_date_null` is a derived indicator of `stg_members.birth_date` "
        "(`pii`, sensitivity `high`): derived by a null check (`birth_date is null`); "
        "path: stg_members.birth_date -> member_flags.birth_date_null"
    )
    assert "governance.derived_indicator_severity" in finding.hint
    # Any classification is a decision taken about the indicator.
    internal = {"classification": "internal", "sensitivity": "low"}
    check_passes("FLOE301", members(replace(FLAGS, columns={"birth_date_null": internal})))


def test_the_severity_of_derived_indicators_is_configurable() -> None:
    project = members(FLAGS, spec={"derived_indicator_severity": "warning"})
    assert only("FLOE301", project).severity == "warning"
    project = members(FLAGS, spec={"derived_indicator_severity": "error"})
    assert only("FLOE301", project).severity == "error"


def test_a_count_is_a_derived_indicator() -> None:
    counted = Model(
        "emails_per_member",
        "select member_id, count(distinct email) as emails "
        "from {{ ref('stg_members') }} group by member_id",
    )
    finding = only("FLOE301", members(counted))
    assert (finding.column, finding.severity) == ("emails", "info")
    assert "derived indicator" in finding.message
    assert "stg_members.email` (`pii`, sensitivity `high`): derived by count(); path:" in (
        finding.message
    )


def test_sums_of_flags_are_derived_indicators() -> None:
    inline = Model(
        "missing",
        "select sum(case when birth_date is null then 1 else 0 end) as missing_birth_dates "
        "from {{ ref('stg_members') }}",
    )
    finding = only("FLOE301", members(inline))
    assert finding.severity == "info"
    assert "derived by sum() of a null check (`birth_date is null`)" in finding.message
    # A flag summed downstream stays an indicator, each step named.
    summed = Model(
        "flag_totals", "select sum(birth_date_null) as missing from {{ ref('member_flags') }}"
    )
    found = check_fails("FLOE301", members(FLAGS, summed))
    [total] = [f for f in found if f.model == "flag_totals"]
    assert total.severity == "info"
    assert total.lineage_path == [
        "stg_members.birth_date",
        "member_flags.birth_date_null",
        "flag_totals.missing",
    ]
    assert (
        ": derived by a null check (`birth_date is null`), then aggregated by sum(); path:"
        in total.message
    )


def test_a_yes_no_category_is_a_derived_indicator() -> None:
    category = Model(
        "m",
        "select case when birth_date < date '2000-01-01' then 'yes' else 'no' end as born_before "
        "from {{ ref('stg_members') }}",
    )
    assert only("FLOE301", members(category)).severity == "info"


def test_a_hash_is_the_masked_form_of_the_classification() -> None:
    hashed = Model("m", "select md5(lower(email)) as email_key from {{ ref('stg_members') }}")
    finding = only("FLOE301", members(hashed))
    assert finding.severity == "info"
    assert finding.message == (
        "`m.email_key` holds the masked form of `stg_members.email` (`pii`, sensitivity "
        "`high`): masked `pii` (hashed by md5()); path: stg_members.email -> m.email_key"
    )
    assert "classification: pii, pii_type: email, sensitivity: low" in finding.hint
    # Copied on, the masked form stays masked.
    copied = Model("n", "select email_key from {{ ref('m') }}")
    found = check_fails("FLOE301", members(hashed, copied))
    assert [(f.model, f.severity) for f in found] == [("m", "info"), ("n", "info")]


def test_the_value_itself_outweighs_a_masked_form_or_an_indicator() -> None:
    mixed = Model(
        "m",
        "select concat(md5(email), birth_date) as k, "
        "case when email is null then birth_date end as b from {{ ref('stg_members') }}",
    )
    found = check_fails("FLOE301", members(mixed))
    assert sorted((f.column, f.severity, f.lineage_path[0]) for f in found) == [
        ("b", "error", "stg_members.birth_date"),
        ("k", "error", "stg_members.birth_date"),
    ]
