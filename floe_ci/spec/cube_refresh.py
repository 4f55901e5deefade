"""floe.yaml's pre-aggregation schedule -> the `refresh_key.every` Cube accepts.

Cube turns `every` into `floor((now - offset) / interval)`, so it takes an interval
(`30 minute`, `1 hour`) or a cron whose firings are equally spaced: minute and hour a number
or `*`, day of month and month `*`, day of week a number or `*` (Cube's
`calcIntervalForCronString`; anything else fails at query and refresh time with "we support
only equal time intervals"). Steps that divide the hour or the day become intervals;
whatever Cube would refuse is refused here, when floe.yaml is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass

_MACROS = {
    "@hourly": "1 hour",
    "@daily": "1 day",
    "@midnight": "1 day",
    "@weekly": "0 0 * * 0",
}
_UNEQUAL_MACROS = {"@monthly", "@yearly", "@annually"}
HINT = (
    "Cube refreshes pre-aggregations at equal intervals only: use a step that divides the "
    "hour or the day (`*/30 * * * *`, `0 */6 * * *`), a fixed time (`15 * * * *`, "
    "`0 6 * * *`, `0 6 * * 1`) or an interval (`30 minute`, `1 day`)"
)


@dataclass(frozen=True)
class CubeEvery:
    """What Cube's `refresh_key.every` gets, or why the schedule cannot be one."""

    every: str | None
    problem: str | None = None


def cube_interval(text: str) -> str | None:
    """`30 minutes` -> `30 minute`: Cube's own interval form, or None when `text` is not one."""
    parts = text.split()
    units = ("second", "minute", "hour", "day", "week")
    if len(parts) == 2 and parts[0].isdigit() and int(parts[0]) > 0:
        unit = parts[1].lower().removesuffix("s")
        if unit in units:
            return f"{int(parts[0])} {unit}"
    return None


def _step(field: str, period: int) -> int | None:
    """`*/N` (or `*`, N=1) with N dividing `period`; None otherwise."""
    if field == "*":
        return 1
    if field.startswith("*/") and field[2:].isdigit():
        step = int(field[2:])
        return step if step > 0 and period % step == 0 else None
    return None


def cube_refresh_every(schedule: str) -> CubeEvery:
    """`*/30 * * * *` -> `30 minute`; `0 6 * * *` stays a cron; `0 9 * * 1-5` is refused."""
    text = " ".join(schedule.split())
    if text in _MACROS:
        return CubeEvery(_MACROS[text])
    if text in _UNEQUAL_MACROS:
        return CubeEvery(None, f"`{text}`: months and years are not of equal length")
    interval = cube_interval(text)
    if interval is not None:
        return CubeEvery(interval)
    fields = text.split()
    if len(fields) != 5:
        return CubeEvery(None, f"`{text}` is neither a 5-field cron nor an interval")
    minute, hour, day, month, weekday = fields
    if day != "*" or month != "*":
        return CubeEvery(None, f"`{text}`: a day of month or a month is not an equal interval")
    fixed_weekday = weekday.isdigit()
    if weekday != "*" and not fixed_weekday:
        return CubeEvery(None, f"`{text}`: several days of the week are not equally spaced")
    if hour == "*" and not fixed_weekday:
        step = _step(minute, 60)
        if step is not None:
            return CubeEvery(f"{step} minute")
    if minute == "0" and not fixed_weekday and hour.startswith("*/"):
        step = _step(hour, 24)
        if step is not None:
            return CubeEvery(f"{step} hour")
    if minute.isdigit() and (hour == "*" or hour.isdigit()):
        return CubeEvery(text)  # a fixed minute (and hour, weekday): Cube takes the cron as is
    return CubeEvery(None, f"`{text}` does not fire at equal intervals")


def cube_refresh_problem(schedule: str) -> str | None:
    """Why Cube would refuse `schedule` as a refresh key (with the fix), or None."""
    problem = cube_refresh_every(schedule).problem
    return f"{problem}. {HINT}" if problem else None
