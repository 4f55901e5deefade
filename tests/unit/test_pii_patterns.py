"""The default patterns of FLOE201: what looks like personal data, and what does not.

The names come from real projects (Fivetran's HubSpot and Shopify packages, health data
marts); bench/pii_detection.py measures the patterns on the first two.
"""

from __future__ import annotations

import pytest

from floe_ci.governance.rules.detection import PiiPatterns, WordPattern, name_words
from floe_ci.spec.models import PiiDetectionConfig

PATTERNS = PiiPatterns.from_config(PiiDetectionConfig())


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("billing_address_city", ("billing", "address", "city")),
        ("BillingAddressCity", ("billing", "address", "city")),
        ("IPAddress", ("ip", "address")),
        ("customerEmail", ("customer", "email")),
        ("address_1", ("address", "1")),
        ("address1", ("address", "1")),
        ("ipv4", ("ipv", "4")),
        ("property_firstname", ("property", "first", "name")),
        ("DateOfBirth", ("date", "of", "birth")),
        ("dateofbirth", ("date", "of", "birth")),
        ("E-Mail", ("e", "mail")),
        ("property_hs_all-funky-a9384", ("property", "hs", "all", "funky", "a", "9384")),
        ("__", ()),
    ],
)
def test_names_are_read_as_words(name: str, words: tuple[str, ...]) -> None:
    assert name_words(name) == words


def test_a_word_pattern_matches_the_last_words_and_classes() -> None:
    person_name = WordPattern.parse("<person> name")
    assert person_name.matches(("attending", "provider", "name"))
    assert not person_name.matches(("provider", "name", "type"))
    assert not person_name.matches(("product", "name"))
    assert not person_name.matches(("name",))
    bare_ip = WordPattern.parse("^ip")
    assert bare_ip.matches(("ip",)) and not bare_ip.matches(("days", "ip"))


@pytest.mark.parametrize(
    ("name", "data_type", "pii_type"),
    [
        ("email", None, "email"),
        ("contact_email_address", None, "email"),
        ("recipient_email_address", None, "email"),
        ("bcc_emails", None, "email"),
        ("property_email_1", None, "email"),
        ("CustomerEmail", None, "email"),
        ("e_mail", None, "email"),
        ("Phone_Number", None, "phone"),
        ("phone_numbers", None, "phone"),
        ("billing_address_phone", None, "phone"),
        ("mobile", None, "phone"),
        ("cell_phone", None, "phone"),
        ("cellphone", None, "phone"),
        ("fax", None, "phone"),
        ("ssn", None, "ssn"),
        ("social_security_number", None, "ssn"),
        ("national_id", None, "national_id"),
        ("tax_id", None, "national_id"),
        ("passport_number", None, "passport"),
        ("drivers_license_number", None, "drivers_license"),
        ("payment_credit_card_number", None, "credit_card"),
        ("date_of_birth", None, "birth_date"),
        ("birth_date", None, "birth_date"),
        ("normalized_birth_date", None, "birth_date"),
        ("dob", None, "birth_date"),
        ("street_address", None, "address"),
        ("street_address_2", None, "address"),
        ("address_1", None, "address"),
        ("billing_address_address_1", None, "address"),
        ("BillingAddressCity", None, "address"),
        ("customer_city", None, "address"),
        ("ip_address", None, "ip_address"),
        ("IPAddress", None, "ip_address"),
        ("ip", None, "ip_address"),
        ("browser_ip", None, "ip_address"),
        ("client_ip", None, "ip_address"),
        ("last_login_ip", None, "ip_address"),
        ("source_ipv6", None, "ip_address"),
        ("mac_address", None, "device_id"),
        ("first_name", None, "name"),
        ("property_lastname", None, "name"),
        ("owner_full_name", None, "name"),
        ("billing_address_first_name", None, "name"),
        ("billing_address_name", None, "name"),
        ("attending_provider_name", None, "name"),
        ("billing_name", None, "name"),
        ("recipient_name", None, "name"),
        ("customer_name", None, "name"),
        ("surname", None, "name"),
        ("social_username", None, "username"),
        ("zip_code", None, "postal_code"),
        ("zip", None, "postal_code"),
        ("shipping_address_zip", None, "postal_code"),
        ("postcode", None, "postal_code"),
        ("billing_address_latitude", None, "geolocation"),
        ("source", "inet", "ip_address"),
    ],
)
def test_personal_data_is_suspected(name: str, data_type: str | None, pii_type: str) -> None:
    suspected = PATTERNS.suspected_type(name, data_type)
    assert suspected is not None and suspected[0] == pii_type


@pytest.mark.parametrize(
    "name",
    [
        # inpatient counts and flags of health data, not IP addresses
        "days_ip",
        "is_ip",
        "ip_visits",
        "ip_paid_amount",
        # cells, cellular networks and spreadsheets, not phones
        "cell_id",
        "cellular",
        "cellular_network",
        "excel_file",
        "cell",
        # facts about personal data: flags, counts, timestamps, keys, consent
        "has_email",
        "was_bounced",
        "verified_email",
        "email_verified",
        "email_count",
        "count_engagement_emails",
        "total_unique_opens",
        "email_sent_at",
        "email_send_timestamp",
        "email_id",
        "email_domain",
        "email_marketing_consent_state",
        "birth_date_null",
        # things named after personal data that are not
        "email_subject",
        "email_campaign_name",
        "money_in_emails_format",
        "phone_type",
        "address_type",
        "customer_address_id",
        "customer_id",
        # names of things, not people
        "product_name",
        "contact_list_name",
        "owner_role_name",
        "owner_all_team_names",
        "location_name",
        "name",
        # region-level parts of an address, and employers
        "country",
        "billing_address_province",
        "billing_address_country_code",
        "billing_address_company",
        # nothing to do with personal data
        "shipping_method",
        "tip_amount",
        "description",
        "ordered_on",
        "cc",
    ],
)
def test_facts_about_personal_data_are_not(name: str) -> None:
    assert PATTERNS.suspected_type(name, "varchar") is None


def test_user_patterns_are_regexes_on_the_name_and_its_words() -> None:
    own = PiiPatterns.from_config(
        PiiDetectionConfig(name_patterns={"national_id": r"(^|_)(nin|bsn)(_|$)"})
    )
    assert own.suspected_type("customer_bsn", None) == ("national_id", "its name")
    assert own.suspected_type("CustomerBsn", None) == ("national_id", "its name")
    # facts about it stay unreported, and the built-in patterns stay
    assert own.suspected_type("bsn_verified", None) is None
    assert own.suspected_type("bsn_id", None) is None
    assert own.suspected_type("has_bsn", None) is None
    assert own.suspected_type("email", None) == ("email", "its name")


def test_a_user_pattern_replaces_the_default_of_its_type() -> None:
    own = PiiPatterns.from_config(PiiDetectionConfig(name_patterns={"phone": "^tel$"}))
    assert own.suspected_type("tel", None) == ("phone", "its name")
    assert own.suspected_type("phone", None) is None
    alone = PiiPatterns.from_config(
        PiiDetectionConfig(use_default_patterns=False, name_patterns={"phone": "phone"})
    )
    assert alone.suspected_type("phone", None) == ("phone", "its name")
    assert alone.suspected_type("email", None) is None
    assert alone.suspected_type("source", "inet") is None


def test_a_bad_pattern_is_a_config_error() -> None:
    with pytest.raises(ValueError, match="not a valid regular expression"):
        PiiDetectionConfig(name_patterns={"email": "(unclosed"})
