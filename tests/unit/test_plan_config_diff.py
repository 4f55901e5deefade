"""Semantic floe.yaml diff: named list items are matched by name, not position."""

from __future__ import annotations

from typing import Any

from floe_ci.plan.config_diff import diff_specs
from floe_ci.spec.models import FloeSpec


def spec(**extra: Any) -> FloeSpec:
    return FloeSpec.model_validate({"name": "shop", "compute": {"target": "duckdb"}, **extra})


def test_reordering_named_schedules_is_no_change() -> None:
    a = {"name": "a", "cron": "0 1 * * *"}
    b = {"name": "b", "cron": "0 2 * * *"}
    assert (
        diff_specs(
            spec(orchestration={"schedules": [a, b]}), spec(orchestration={"schedules": [b, a]})
        )
        == []
    )


def test_changed_added_and_removed_settings() -> None:
    base = spec(orchestration={"schedules": [{"name": "a", "cron": "0 1 * * *"}]})
    head = spec(
        compute={"target": "duckdb", "properties": {"threads": 4}},
        orchestration={"schedules": [{"name": "a", "cron": "0 3 * * *"}]},
    )
    changes = {c.path: (c.kind, c.before, c.after) for c in diff_specs(base, head)}
    assert changes == {
        "compute.properties.threads": ("added", None, 4),
        "orchestration.schedules.[a].cron": ("modified", "0 1 * * *", "0 3 * * *"),
    }
