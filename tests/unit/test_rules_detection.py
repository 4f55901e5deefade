"""FLOE201: columns that look like personal data but carry no classification."""

from __future__ import annotations

from typing import Any

from floe_ci.testing import Model, Project, Source, check_fails, check_passes

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


def test_ignore_list_switch_and_patterns() -> None:
    check_passes("FLOE201", users({"ignore": ["stg_*.last_login_*"]}))
    check_passes("FLOE201", users({"enabled": False}))
    check_passes("FLOE201", users({"use_default_patterns": False}))
    found = check_fails("FLOE201", users({"name_patterns": {"geolocation": "^country$"}}))
    assert [f.column for f in found] == ["country", "last_login_ip"]
