"""floe.yaml's pre-aggregation schedule -> Cube's `refresh_key.every`, and the Cube version."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from floe_ci.spec.cube_refresh import cube_refresh_every, cube_refresh_problem
from floe_ci.spec.cube_version import has_access_policy
from floe_ci.spec.models import CubeConfig, PreAggregationConfig


@pytest.mark.parametrize(
    ("schedule", "every"),
    [
        ("*/30 * * * *", "30 minute"),
        ("* * * * *", "1 minute"),
        ("*/15  *  * * *", "15 minute"),
        ("0 */6 * * *", "6 hour"),
        ("@hourly", "1 hour"),
        ("@daily", "1 day"),
        ("@weekly", "0 0 * * 0"),
        ("15 * * * *", "15 * * * *"),
        ("0 6 * * *", "0 6 * * *"),
        ("30 2 * * 1", "30 2 * * 1"),
        ("30 minutes", "30 minute"),
        ("1 day", "1 day"),
    ],
)
def test_schedules_cube_accepts_become_an_every(schedule: str, every: str) -> None:
    assert cube_refresh_every(schedule).every == every
    assert cube_refresh_problem(schedule) is None


@pytest.mark.parametrize(
    ("schedule", "why"),
    [
        ("*/7 * * * *", "equal intervals"),
        ("0 */5 * * *", "equal intervals"),
        ("0 9 * * 1-5", "several days of the week"),
        ("0 0 1 * *", "day of month"),
        ("@monthly", "not of equal length"),
        ("0,30 * * * *", "equal intervals"),
        ("* 6 * * *", "equal intervals"),
    ],
)
def test_schedules_cube_refuses_are_refused_with_the_fix(schedule: str, why: str) -> None:
    assert cube_refresh_every(schedule).every is None
    problem = cube_refresh_problem(schedule)
    assert problem is not None and why in problem and "*/30 * * * *" in problem


def test_floe_yaml_refuses_a_schedule_cube_would_refuse() -> None:
    assert PreAggregationConfig().refresh_schedule == "*/30 * * * *"
    assert PreAggregationConfig(refresh_schedule="1 hour").refresh_schedule == "1 hour"
    with pytest.raises(ValidationError, match="equal intervals"):
        PreAggregationConfig(refresh_schedule="0 9 * * 1-5")
    with pytest.raises(ValidationError, match="minute field"):
        PreAggregationConfig(refresh_schedule="99 * * * *")


def test_cube_version_default_and_the_versions_without_access_policy() -> None:
    assert CubeConfig().version == "1.7"
    assert CubeConfig.model_validate({"version": 0.33}).version == "0.33"  # unquoted YAML
    assert CubeConfig(version="0.33.65").version == "0.33.65"
    with pytest.raises(ValidationError, match="not supported"):
        CubeConfig(version="0.32")
    assert not has_access_policy("0.33") and not has_access_policy("0.36.1")
    assert has_access_policy("1.0") and has_access_policy("1.7.43")
