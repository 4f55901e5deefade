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
