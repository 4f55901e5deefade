"""The generated cube.js: floe's settings in Cube's template, by Cube version."""

from __future__ import annotations

import json
from typing import Any

from floe_ci.integrations.cube.config import render_cube_js

CONFIG = {
    "cubeVersion": "0.33",
    "preAggregationsSchema": "floe_preaggs",
    "scheduledRefreshTimezone": "Europe/Berlin",
    "rowLevelSecurity": {"tenantColumn": "country"},
}


def settings(text: str) -> dict[str, Any]:
    start = text.index("const SETTINGS = ") + len("const SETTINGS = ")
    return dict(json.loads(text[start : text.index(";\n", start)]))


def test_cube_033_gets_restricted_members_and_no_access_policy_groups() -> None:
    text = render_cube_js(
        CONFIG, ["orders", "customers"], restricted={"customers.email": ["pii_reader"]}
    )
    values = settings(text)
    assert values["accessPolicy"] is False
    assert values["restricted"] == {"customers.email": ["pii_reader"]}
    assert values["tenantCubes"] == ["customers", "orders"]
    assert values["tenantColumn"] == "country" and values["timezone"] == "Europe/Berlin"
    assert values["lineage"] is None
    assert "/*FLOE_SETTINGS*/" not in text
    assert "module.exports.contextToGroups" in text  # only set when accessPolicy is true


def test_cube_1x_and_no_row_level_security() -> None:
    values = settings(
        render_cube_js({**CONFIG, "cubeVersion": "1.7", "rowLevelSecurity": None}, [])
    )
    assert values["accessPolicy"] is True and values["tenantColumn"] is None
    assert values["restricted"] == {}


def test_no_secret_value_in_cube_js(monkeypatch: Any) -> None:
    monkeypatch.setenv("CUBEJS_API_SECRET", "s3cr3t-for-test")
    assert "s3cr3t" not in render_cube_js(CONFIG, ["orders"])
