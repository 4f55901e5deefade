"""Validation of five-field cron expressions (the form Dagster and Cube schedules take)."""

from __future__ import annotations

_FIELDS: tuple[tuple[str, int, int], ...] = (
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day of month", 1, 31),
    ("month", 1, 12),
    ("day of week", 0, 7),
)
_NAMES = {
    3: {m: i + 1 for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split())},
    4: {d: i for i, d in enumerate("sun mon tue wed thu fri sat".split())},
}
_MACROS = {"@hourly", "@daily", "@weekly", "@monthly", "@yearly", "@annually", "@midnight"}


def cron_problem(expression: str) -> str | None:
    """Return why `expression` is not a valid cron schedule, or None when it is."""
    text = expression.strip()
    if text in _MACROS:
        return None
    parts = text.split()
    if len(parts) != 5:
        return f"cron needs 5 fields (minute hour day-of-month month day-of-week), got {len(parts)}"
    for index, part in enumerate(parts):
        name, low, high = _FIELDS[index]
        for item in part.split(","):
            problem = _item_problem(item, index, low, high)
            if problem:
                return f"{name} field `{part}`: {problem}"
    return None


def _item_problem(item: str, index: int, low: int, high: int) -> str | None:
    base, _, step = item.partition("/")
    if step and (not step.isdigit() or int(step) == 0):
        return f"step `{step}` must be a positive number"
    if base == "*":
        return None
    bounds = base.split("-")
    if len(bounds) > 2:
        return f"`{base}` is not a value or a range"
    values = []
    for bound in bounds:
        value = _value(bound, index)
        if value is None:
            return f"`{bound}` is not a number"
        if not low <= value <= high:
            return f"{value} is outside {low}-{high}"
        values.append(value)
    if len(values) == 2 and values[0] > values[1]:
        return f"range `{base}` runs backwards"
    return None


def _value(text: str, index: int) -> int | None:
    if text.isdigit():
        return int(text)
    return _NAMES.get(index, {}).get(text.lower())
