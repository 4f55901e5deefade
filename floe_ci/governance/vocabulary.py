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

# Column names that strongly suggest personal data, by the pii_type they suggest. Matched
# case-insensitively with re.search; the first matching entry names the suspected type, so
# the specific ones (ip_address, email_address) come before the generic `address`.
DEFAULT_PII_NAME_PATTERNS: dict[str, str] = {
    "email": r"e_?mail",
    "ip_address": r"(^|_)ip(_?addr(ess)?)?(_|$)|ipv[46]",
    "ssn": r"(^|_)ssn(_|$)|social_security",
    "birth_date": r"birth|(^|_)dob(_|$)",
    "phone": r"phone|mobile|msisdn|(^|_)(cell|fax)(_|$)",
    "name": r"(^|_)(first|last|full|middle|given|family|maiden|sur|customer|contact|person)_?name"
    r"(_|$)",
    "postal_code": r"post_?code|zip_?code|postal",
    "address": r"(^|_)(street|address|addr)(_|$)|address_line",
}
# Declared data types that only ever hold network or device identifiers.
DEFAULT_PII_TYPE_PATTERNS: dict[str, str] = {
    "ip_address": r"^(inet|cidr)$",
    "device_id": r"^macaddr8?$",
}
# Names that mention personal data but hold facts about it (flags, counts, timestamps, keys).
PII_NAME_EXCLUSIONS = r"^(is|has)_|_(count|cnt|flag|verified|at|id|domain)$"
