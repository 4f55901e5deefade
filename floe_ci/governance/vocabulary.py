"""The values floe understands in a column's `meta.floe` block."""

from __future__ import annotations

SENSITIVITIES: tuple[str, ...] = ("low", "medium", "high", "critical")
DEFAULT_SENSITIVITY = "medium"

PII_TYPES: tuple[str, ...] = (
    "name",
    "email",
    "phone",
    "address",
    "postal_code",
    "birth_date",
    "ssn",
    "national_id",
    "passport",
    "drivers_license",
    "ip_address",
    "device_id",
    "geolocation",
    "credit_card",
    "bank_account",
    "username",
    "gender",
    "ethnicity",
    "health",
    "biometric",
    "other",
)

# Keys allowed in `meta.floe`; anything else is most likely a typo.
FLOE_META_KEYS: tuple[str, ...] = ("classification", "pii_type", "sensitivity", "waive", "reason")

# Order of strictness: a derived column must be classified at least as high as its source.
SENSITIVITY_RANK: dict[str, int] = {name: rank for rank, name in enumerate(SENSITIVITIES)}

# FLOE201's built-in name patterns, by the pii_type they suggest. A column name is read as
# words (split on `_` and other punctuation, on case changes and before digits, compounds such
# as `firstname` expanded: see floe_ci.governance.rules.detection.name_words), and a pattern
# must match its LAST words, because in English the last word of a compound says what it is:
# `billing_address_city` is a city, `email_subject` a subject, `email_campaign_name` the name of
# a campaign. `<class>` stands for any word of PII_NAME_WORD_CLASSES; `^` anchors the pattern at
# the first word (the whole name). Trailing digits (`address_1`) and a trailing `number`/`no`
# (`phone_number`) are ignored. The first matching type names the suspected type, so the
# specific ones (email_address, ip_address, mac_address) come before the generic `address`.
DEFAULT_PII_NAME_WORDS: dict[str, tuple[str, ...]] = {
    "email": ("email", "emails", "email address", "email addresses", "email addr", "e mail"),
    "ip_address": ("ip address", "ip addr", "ipv", "<network> ip", "^ip"),
    "ssn": ("ssn", "social security"),
    "national_id": (
        "national id",
        "national identifier",
        "national identity",
        "national insurance",
        "nino",
        "tax id",
        "taxpayer id",
        "tax identification",
    ),
    "passport": ("passport", "passport id"),
    "drivers_license": ("<driver> license", "<driver> licence"),
    "credit_card": ("credit card", "card number", "cc number"),
    "birth_date": ("birth date", "date of birth", "dob", "birthday", "birth dt", "birth year"),
    "phone": ("phone", "phones", "telephone", "tel", "mobile", "fax", "msisdn"),
    "device_id": ("mac address", "mac addr"),
    "username": ("username", "user name", "login name", "screen name"),
    "name": (
        "<person> name",
        "<person> names",
        "surname",
        "fname",
        "lname",
        "name first",
        "name last",
    ),
    "postal_code": ("zip", "zip code", "postal code", "post code", "postal"),
    "geolocation": ("address latitude", "address longitude", "address lat", "address lng"),
    "address": ("address", "addresses", "addr", "street", "address line", "street name", "city"),
}
PII_NAME_WORD_CLASSES: dict[str, frozenset[str]] = {
    # Words before `name` that make it a person's name (`owner_full_name`, `billing_name`,
    # `attending_provider_name`), unlike `product_name` or `contact_list_name`.
    "person": frozenset(
        "first last full middle given family maiden nick legal preferred birth customer "
        "contact owner person provider billing shipping address recipient sender patient "
        "member employee client buyer subscriber beneficiary holder cardholder guardian "
        "physician doctor practitioner prescriber nurse rep agent staff manager author "
        "insured spouse passenger guest student applicant candidate driver".split()
    ),
    # Words before `ip` that make it a network address (`browser_ip`, `last_login_ip`), unlike
    # the inpatient counts of health data (`days_ip`, `is_ip`).
    "network": frozenset(
        "browser client remote source src destination dest user login device server host "
        "origin public private local customer visitor request signup registration caller "
        "peer sender".split()
    ),
    "driver": frozenset(("driver", "drivers", "driving")),
}
# Words written as one that the patterns read as two (or three).
PII_COMPOUND_WORDS: dict[str, tuple[str, ...]] = {
    "firstname": ("first", "name"),
    "lastname": ("last", "name"),
    "fullname": ("full", "name"),
    "middlename": ("middle", "name"),
    "givenname": ("given", "name"),
    "familyname": ("family", "name"),
    "emailaddress": ("email", "address"),
    "ipaddress": ("ip", "address"),
    "ipaddr": ("ip", "addr"),
    "macaddress": ("mac", "address"),
    "phonenumber": ("phone", "number"),
    "cellphone": ("cell", "phone"),
    "zipcode": ("zip", "code"),
    "postcode": ("post", "code"),
    "postalcode": ("postal", "code"),
    "birthdate": ("birth", "date"),
    "dateofbirth": ("date", "of", "birth"),
    "streetaddress": ("street", "address"),
}
# A trailing word that only says the value is a number: `phone_number` is a phone.
PII_NAME_NUMBER_WORDS: frozenset[str] = frozenset(("number", "numbers", "no", "nr", "num"))
# Names that mention personal data but hold facts about it: flags and counts by their first
# word (`has_email`, `is_ip`, `count_emails`, `verified_email`); and, for the user's own
# `name_patterns` (the built-in ones already say how a name ends), timestamps, keys and domains
# by their last word (`email_sent_at`, `email_id`, `email_domain`).
PII_NAME_EXCLUDED_FIRST_WORDS: frozenset[str] = frozenset(
    "is has was were can did does should verified count cnt num total".split()
)
PII_NAME_EXCLUDED_LAST_WORDS: frozenset[str] = frozenset(
    "count cnt flag verified at id domain".split()
)
# Declared data types that only ever hold network or device identifiers.
DEFAULT_PII_TYPE_PATTERNS: dict[str, str] = {
    "ip_address": r"^(inet|cidr)$",
    "device_id": r"^macaddr8?$",
}
