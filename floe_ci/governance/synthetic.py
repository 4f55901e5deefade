"""Realistic fake values for `synthesize`, as SQL, deterministic in the raw value.

The same raw value always gives the same fake value (joins and group-bys keep working), and
fake values come from ranges reserved for fiction or documentation wherever one exists:
`example.com` mail, `+1 555 01xx` phones, `192.0.2.0/24` addresses, 9xx social security
numbers (never issued), card numbers of the 4000 0000 0000 test range.
"""

from __future__ import annotations

from floe_ci.governance.sql_dialect import SqlDialect, TypeFamily

FIRST_NAMES: tuple[str, ...] = (
    "Alex", "Blake", "Casey", "Dana", "Eli", "Frankie", "Gray", "Harper", "Indy", "Jordan",
    "Kai", "Logan", "Morgan", "Noel", "Oakley", "Parker", "Quinn", "Reese", "Sage", "Taylor",
)  # fmt: skip
LAST_NAMES: tuple[str, ...] = (
    "Archer", "Brook", "Carter", "Dale", "Ellis", "Fisher", "Glenn", "Hayes", "Irving", "Jensen",
    "Keller", "Lane", "Mercer", "Nash", "Orr", "Pike", "Reed", "Stone", "Tate", "Vale",
)  # fmt: skip
STREETS: tuple[str, ...] = (
    "Maple Street", "Oak Avenue", "Cedar Lane", "Elm Road", "Birch Way", "Willow Drive",
    "Station Road", "Mill Lane", "Park Avenue", "High Street",
)  # fmt: skip
CITIES: tuple[str, ...] = (
    "Springfield", "Riverton", "Lakeside", "Fairview", "Georgetown", "Kingston", "Milton",
)  # fmt: skip
GENDERS: tuple[str, ...] = ("female", "male", "non-binary", "undisclosed")


def synthetic_sql(
    column: str, family: TypeFamily, pii_type: str | None, sql: SqlDialect
) -> str | None:
    """An expression producing a fake value of the column's family; None: use NULL."""
    seed = sql.hash_int(column)
    if family == TypeFamily.NUMBER:
        return f"({seed} % 100000)"
    if family in (TypeFamily.DATE, TypeFamily.TIMESTAMP):
        if pii_type == "birth_date":
            return sql.add_days("1950-01-01", f"{seed} % 18250")  # born 1950 to 1999
        return sql.add_days("2000-01-01", f"{seed} % 9000")
    if family != TypeFamily.TEXT:
        return None
    return _synthetic_text(column, pii_type, seed, sql)


def _synthetic_text(column: str, pii_type: str | None, seed: str, sql: SqlDialect) -> str:
    first = sql.pick(FIRST_NAMES, seed)
    last = sql.pick(LAST_NAMES, sql.int_div(seed, len(FIRST_NAMES)))
    number = sql.as_text
    if pii_type == "name":
        return f"{first} || ' ' || {last}"
    if pii_type == "email":
        return f"lower({first} || '.' || {last}) || {number(f'{seed} % 100')} || '@example.com'"
    if pii_type == "username":
        return f"lower({first}) || '_' || {number(f'{seed} % 1000')}"
    if pii_type == "phone":
        return f"'+1 555 01' || {sql.padded(f'{seed} % 100', 2)}"
    if pii_type == "address":
        street, city = sql.pick(STREETS, seed), sql.pick(CITIES, sql.int_div(seed, 7))
        return f"{number(f'1 + {seed} % 999')} || ' ' || {street} || ', ' || {city}"
    if pii_type == "postal_code":
        return sql.padded(f"{seed} % 100000", 5)
    if pii_type == "ssn":
        parts = (f"900 + {seed} % 100", f"{seed} % 100", f"{seed} % 10000")
        return " || '-' || ".join(
            [number(parts[0]), sql.padded(parts[1], 2), sql.padded(parts[2], 4)]
        )
    if pii_type in ("national_id", "passport", "drivers_license"):
        return f"'X' || {sql.padded(f'{seed} % 100000000', 8)}"
    if pii_type == "credit_card":
        return f"'4000 0000 0000 ' || {sql.padded(f'{seed} % 10000', 4)}"
    if pii_type == "bank_account":
        return f"'GB00TEST' || {sql.padded(f'{seed} % 100000000', 8)}"
    if pii_type == "ip_address":
        return f"'192.0.2.' || {number(f'1 + {seed} % 254')}"
    if pii_type == "geolocation":
        return f"{number(f'{seed} % 180 - 90')} || '.0,' || {number(f'{seed} % 360 - 180')} || '.0'"
    if pii_type == "gender":
        return sql.pick(GENDERS, seed)
    if pii_type == "birth_date":
        return sql.as_text(sql.add_days("1950-01-01", f"{seed} % 18250"))
    # device_id, health, biometric, ethnicity, other: an opaque but stable token
    return f"'synthetic-' || left(md5({sql.as_text(column)}), 10)"
