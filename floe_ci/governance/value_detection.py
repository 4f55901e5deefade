"""What kind of personal data a column holds, judged from a sample of its values.

Used by `floe-ci classify --sample` for columns whose names give nothing away. Pure: the
values come in, a verdict (pii_type and counts) comes out; no value is ever part of the
verdict, so nothing that reports it can leak one.

A column is taken for a kind when at least MIN_VALUES non-empty values were sampled and
most of them match (THRESHOLD; names NAME_THRESHOLD, because no list knows every name):
e-mail addresses, phone numbers (7 to 15 digits with the separators people write), US social
security numbers (AAA-GG-SSSS without the never-issued areas), payment card numbers (a known
issuer prefix, 13 to 19 digits, and a valid Luhn check digit), IPv4 and IPv6 addresses, dates
of birth (dates without a time, all between 13 and 110 years before `today`, over several
years), and person names (one to four words, one of them in the bundled name list).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from floe_ci.governance.person_names import GIVEN_NAMES, SURNAMES

MIN_VALUES = 5
THRESHOLD = 0.8
NAME_THRESHOLD = 0.6
_MIN_BIRTH_YEARS = 3  # distinct years a birth-date column spans

_EMAIL = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
_PHONE = re.compile(r"^\+?[0-9 ().\-/]{7,24}$")
_SSN = re.compile(r"^(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}$")
_CARD = re.compile(r"^[0-9][0-9 \-]{11,22}[0-9]$")
_CARD_PREFIX = re.compile(r"^(4|5[1-5]|2[2-7]|3[47]|6011|65|35|30[0-5]|36|38)")
_NAME_WORD = re.compile(r"^[A-Za-zÀ-ÖØ-öø-ÿ][A-Za-zÀ-ÖØ-öø-ÿ'.\-]*$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class ValueVerdict:
    """The kind of personal data a sample looks like, and how many values said so."""

    pii_type: str
    matched: int
    sampled: int
    what: str  # "e-mail addresses", for a message

    @property
    def evidence(self) -> str:
        return f"{self.matched} of {self.sampled} sampled values look like {self.what}"


def is_email(value: str) -> bool:
    return len(value) <= 254 and bool(_EMAIL.match(value))


def is_phone(value: str) -> bool:
    if not _PHONE.match(value) or value.count("+") > 1:
        return False
    digits = sum(ch.isdigit() for ch in value)
    # A bare run of digits is any number (an id, an amount): people write phones with a `+`
    # or separators.
    written = value.startswith("+") or any(ch in value for ch in " ().-/")
    return 7 <= digits <= 15 and written and not _SSN.match(value) and not _ISO_DATE.match(value)


def is_ssn(value: str) -> bool:
    return bool(_SSN.match(value))


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        number = int(char)
        if index % 2 == 1:
            number = number * 2 - 9 if number > 4 else number * 2
        total += number
    return total % 10 == 0


def is_card_number(value: str) -> bool:
    if not _CARD.match(value):
        return False
    digits = re.sub(r"[ \-]", "", value)
    return 13 <= len(digits) <= 19 and bool(_CARD_PREFIX.match(digits)) and luhn_valid(digits)


def is_ip_address(value: str) -> bool:
    if value.count(".") != 3 and ":" not in value:
        return False
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def is_person_name(value: str) -> bool:
    words = value.replace(",", " ").split()
    if not 1 <= len(words) <= 4 or not all(_NAME_WORD.match(w) for w in words):
        return False
    known = GIVEN_NAMES | SURNAMES
    return any(word.lower().strip(".'") in known for word in words)


_TEXT_DETECTORS: tuple[tuple[str, str, Callable[[str], bool], float], ...] = (
    ("email", "e-mail addresses", is_email, THRESHOLD),
    ("ssn", "social security numbers", is_ssn, THRESHOLD),
    ("credit_card", "payment card numbers (Luhn-valid)", is_card_number, THRESHOLD),
    ("ip_address", "IP addresses", is_ip_address, THRESHOLD),
    ("phone", "phone numbers", is_phone, THRESHOLD),
    ("name", "person names", is_person_name, NAME_THRESHOLD),
)


def detect_values(values: Sequence[object], today: date) -> ValueVerdict | None:
    """The kind of personal data most of `values` are, or None (too few, or no kind)."""
    present = [v for v in values if v is not None and str(v).strip()]
    if len(present) < MIN_VALUES:
        return None
    dates = [_as_date(v) for v in present]
    if all(d is not None for d in dates):
        return _birth_dates([d for d in dates if d is not None], today)
    texts = [str(v).strip() for v in present if isinstance(v, str)]
    if len(texts) < len(present):
        return None  # numbers, booleans, binary: nothing a name or format reveals
    for pii_type, what, matches, threshold in _TEXT_DETECTORS:
        matched = sum(1 for text in texts if matches(text))
        if matched >= threshold * len(texts):
            return ValueVerdict(pii_type, matched, len(texts), what)
    return None


def _as_date(value: object) -> date | None:
    """A calendar date (a date, a midnight timestamp, or `YYYY-MM-DD`); None otherwise."""
    if isinstance(value, datetime):
        midnight = (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0)
        return value.date() if midnight else None
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _birth_dates(dates: list[date], today: date) -> ValueVerdict | None:
    oldest = date(today.year - 110, 1, 1)
    youngest = date(today.year - 13, today.month, min(today.day, 28))
    matched = sum(1 for d in dates if oldest <= d <= youngest)
    if len({d.year for d in dates}) < _MIN_BIRTH_YEARS or matched < THRESHOLD * len(dates):
        return None
    return ValueVerdict("birth_date", matched, len(dates), "dates of birth (ages 13 to 110)")
