"""FLOE201: columns that look like personal data but carry no classification."""

from __future__ import annotations

from typing import Any

from floe_ci.testing import Model, Project, Seed, Source, check_fails, check_passes, run_rule

PII = {
    "production": {"action": "restrict", "requires_role": ["pii_reader"]},
    "non_production": {"action": "mask"},
}


def users(pii_detection: dict[str, Any] | None = None, **model: Any) -> Project:
    """stg_users selecting and declaring `columns` (unclassified unless given meta)."""
    columns = model.pop("columns", ["id", "last_login_ip", "country"])
    # Lineage adds the SQL's undeclared output columns: select exactly the declared ones.
    stg = Model(
        "stg_users", f"select {', '.join(columns)} from app_users", columns=columns, **model
    )
    governance: dict[str, Any] = {"policies": {"pii": PII}}
    if pii_detection is not None:
        governance["pii_detection"] = pii_detection
    return Project(models=[stg], spec={"governance": governance})


def test_a_column_named_like_personal_data_is_reported() -> None:
    [finding] = check_fails("FLOE201", users())
    assert (finding.model, finding.column, finding.severity) == (
        "stg_users",
        "last_login_ip",
        "warning",
    )
    assert "looks like personal data (ip_address, from its name)" in finding.message
    assert "classification: pii, pii_type: ip_address" in (finding.hint or "")


def test_a_declared_type_is_evidence_too() -> None:
    [finding] = check_fails(
        "FLOE201", users(columns=["id", "origin"], data_types={"origin": "inet"})
    )
    assert finding.column == "origin" and "from its declared type `inet`" in finding.message


def test_classified_columns_and_flags_counts_and_keys_pass() -> None:
    check_passes("FLOE201", users(columns={"last_login_ip": {"classification": "pii"}}))
    flags = ["has_email", "email_count", "email_sent_at", "email_id"]
    check_passes("FLOE201", users(columns=flags))


def test_a_column_inheriting_a_classification_is_left_to_floe301() -> None:
    project = Project(
        sources=[Source("app", "users", columns=["id", "email"])],
        models=[
            Model(
                "stg_users",
                "select id, email from {{ source('app', 'users') }}",
                columns={"id": None, "email": {"classification": "pii"}},
            ),
            Model("contacts", "select email from {{ ref('stg_users') }}", columns=["email"]),
        ],
        spec={"governance": {"policies": {"pii": PII}}},
    )
    check_passes("FLOE201", project)
    check_fails("FLOE301", project)


def test_real_vocabularies() -> None:
    # Names from real projects: inpatient days and cells are not IPs and phones; a provider's
    # and a billing name are names; an e-mail subject is not an e-mail.
    columns = [
        "days_ip",
        "is_ip",
        "cell_id",
        "cellular_network",
        "email_subject",
        "count_engagement_emails",
        "attending_provider_name",
        "billing_name",
        "BillingAddressCity",
    ]
    found = {f.column: f.message for f in check_fails("FLOE201", users(columns=columns))}
    assert set(found) == {"BillingAddressCity", "attending_provider_name", "billing_name"}
    assert "(name, from its name)" in found["billing_name"]
    assert "(address, from its name)" in found["BillingAddressCity"]


def test_sources_and_seeds_are_checked() -> None:
    project = Project(
        sources=[Source("crm", "customers", columns=["id", "email", "phone"])],
        seeds=[Seed("test_users", columns=["id", "first_name"])],
        models=[
            Model(
                "stg_customers",
                "select id, email from {{ source('crm', 'customers') }}",
                columns=["id", "email"],
            )
        ],
        spec={"governance": {"policies": {"pii": PII}}},
    )
    found = {(f.model, f.column): f for f in check_fails("FLOE201", project)}
    assert set(found) == {
        ("customers", "email"),
        ("customers", "phone"),
        ("stg_customers", "email"),
        ("test_users", "first_name"),
    }
    assert found[("customers", "phone")].message.startswith("`crm.customers.phone` looks like")
    assert "`crm.customers.phone` under `governance.pii_detection.ignore`" in (
        found[("customers", "phone")].hint or ""
    )
    ignored = {"policies": {"pii": PII}, "pii_detection": {"ignore": ["crm.customers.*"]}}
    kept = run_rule("FLOE201", Project(**{**project.__dict__, "spec": {"governance": ignored}}))
    assert {f.model for f in kept} == {"stg_customers", "test_users"}


def test_an_input_column_classified_where_a_model_takes_it_in_is_not_reported() -> None:
    project = Project(
        sources=[Source("crm", "customers", columns=["id", "email", "phone"])],
        models=[
            Model(
                "stg_customers",
                "select id, lower(email) as email, phone from {{ source('crm', 'customers') }}",
                columns={"id": None, "email": {"classification": "pii"}, "phone": None},
            )
        ],
        spec={"governance": {"policies": {"pii": PII}}},
    )
    found = {(f.model, f.column) for f in check_fails("FLOE201", project)}
    assert found == {("customers", "phone"), ("stg_customers", "phone")}


def test_ignore_list_switch_and_patterns() -> None:
    check_passes("FLOE201", users({"ignore": ["stg_*.last_login_*"]}))
    check_passes("FLOE201", users({"enabled": False}))
    check_passes("FLOE201", users({"use_default_patterns": False}))
    found = check_fails("FLOE201", users({"name_patterns": {"geolocation": "^country$"}}))
    assert [f.column for f in found] == ["country", "last_login_ip"]
