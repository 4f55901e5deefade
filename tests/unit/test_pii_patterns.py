"""The default patterns of FLOE201: what looks like personal data, and what does not."""

from __future__ import annotations

import pytest

from floe_ci.governance.rules.detection import PiiPatterns
from floe_ci.spec.models import PiiDetectionConfig

PATTERNS = PiiPatterns.from_config(PiiDetectionConfig())


@pytest.mark.parametrize(
    ("name", "data_type", "pii_type"),
    [
        ("email", None, "email"),
        ("contact_email_address", None, "email"),
        ("Phone_Number", None, "phone"),
        ("mobile", None, "phone"),
        ("ssn", None, "ssn"),
        ("date_of_birth", None, "birth_date"),
        ("dob", None, "birth_date"),
        ("street_address", None, "address"),
        ("ip_address", None, "ip_address"),
        ("last_login_ip", None, "ip_address"),
        ("first_name", None, "name"),
        ("surname", None, "name"),
        ("zip_code", None, "postal_code"),
        ("source", "inet", "ip_address"),
    ],
)
def test_personal_data_is_suspected(name: str, data_type: str | None, pii_type: str) -> None:
    suspected = PATTERNS.suspected_type(name, data_type)
    assert suspected is not None and suspected[0] == pii_type


@pytest.mark.parametrize(
    "name",
    [
        "customer_id",
        "country",
        "has_email",
        "email_count",
        "email_sent_at",
        "product_name",
        "shipping_method",
        "zip",
        "tip_amount",
        "description",
        "ordered_on",
    ],
)
def test_facts_about_personal_data_are_not(name: str) -> None:
    assert PATTERNS.suspected_type(name, "varchar") is None


def test_a_bad_pattern_is_a_config_error() -> None:
    with pytest.raises(ValueError, match="not a valid regular expression"):
        PiiDetectionConfig(name_patterns={"email": "(unclosed"})
