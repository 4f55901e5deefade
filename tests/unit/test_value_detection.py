"""Judging sampled values: each kind found, lookalikes refused, and no value in the verdict."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from floe_ci.governance.value_detection import detect_values, is_card_number, luhn_valid

TODAY = date(2026, 6, 1)
CASES = {
    "email": ["ann@example.com", "bo.li@mail.example.org", "x+y@corp.io", "c@d.co", "z@q.de"],
    "phone": [
        "+1 415 555 0100",
        "(212) 555-0199",
        "030 1234567",
        "+44 20 7946 0958",
        "555-0100-22",
    ],
    "ssn": ["123-45-6789", "219-09-9999", "078-05-1121", "536-90-4399", "111-22-3333"],
    "credit_card": [
        "4111 1111 1111 1111",
        "5500-0000-0000-0004",
        "340000000000009",
        "6011000000000004",
        "4012888888881881",
    ],
    "ip_address": ["10.0.0.1", "192.168.1.20", "2001:db8::1", "8.8.8.8", "172.16.0.5"],
    "name": ["Maria Garcia", "John Smith", "Wei Zhang", "Fatima Khan", "Lukas Meyer", "Olu Ade"],
}


@pytest.mark.parametrize("pii_type", sorted(CASES))
def test_each_kind_is_found_and_the_verdict_holds_only_counts(pii_type: str) -> None:
    verdict = detect_values(CASES[pii_type], TODAY)
    assert verdict is not None and verdict.pii_type == pii_type
    for value in CASES[pii_type]:
        assert value not in verdict.evidence
    assert verdict.evidence.startswith(f"{verdict.matched} of {verdict.sampled} sampled values")


def test_birth_dates_by_range_not_event_dates() -> None:
    births = [date(1950 + 7 * i, 1 + i, 3 + i) for i in range(8)]
    verdict = detect_values(births, TODAY)
    assert verdict is not None and verdict.pii_type == "birth_date"
    recent = [date(2025, 1 + i, 1) for i in range(8)]  # orders, not people
    assert detect_values(recent, TODAY) is None
    stamps = [datetime(1960 + i, 1, 1, 13, 5) for i in range(8)]  # times of day: events
    assert detect_values(stamps, TODAY) is None


def test_lookalikes_and_small_samples_are_refused() -> None:
    assert detect_values(["4111 1111 1111 1112"] * 6, TODAY) is None  # Luhn fails
    assert detect_values(["1234567890"] * 6, TODAY) is None  # a bare number is no phone
    assert detect_values(["paid", "open", "void", "paid", "open"], TODAY) is None
    assert detect_values([1, 2, 3, 4, 5, 6], TODAY) is None
    assert detect_values(["ann@example.com"] * 4, TODAY) is None  # under MIN_VALUES
    assert (
        detect_values(["Blue Widget", "Red Gadget", "Acme Corp", "Tool Box", "Gear"], TODAY) is None
    )


def test_luhn() -> None:
    assert luhn_valid("79927398713") and not luhn_valid("79927398710")
    assert is_card_number("4111-1111-1111-1111") and not is_card_number("1111-1111-1111-1117")
