"""JSON report: matches its published schema (tests/unit/test_schemas_current.py keeps the
schema current), with the Plan under `plan` after `check --base`."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from floe_ci.governance.result import CheckResult
from floe_ci.plan.changes import Plan
from floe_ci.report.json_report import SCHEMA_FILE, render_json
from tests.conftest import REPO_ROOT
from tests.unit.report_samples import review_plan, sample_result

PUBLISHED = REPO_ROOT / "schemas" / SCHEMA_FILE


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(PUBLISHED.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_report_validates_against_the_published_schema(
    validator: jsonschema.Draft202012Validator,
) -> None:
    report = json.loads(render_json(sample_result()))
    validator.validate(report)
    assert report["summary"] == {"error": 2, "warning": 1, "info": 0, "waived": 1}
    assert report["passed"] is False
    assert "plan" not in report  # a plain check's report is what it always was
    waived = [f for f in report["findings"] if f["waived"]]
    assert waived[0]["waiver_reason"] == "the domain alone identifies nobody"


def test_schema_rejects_a_finding_without_a_rule(
    validator: jsonschema.Draft202012Validator,
) -> None:
    report = json.loads(render_json(sample_result()))
    del report["findings"][0]["rule_id"]
    assert not validator.is_valid(report)


def test_the_plan_is_in_the_report_after_every_key_of_the_result(
    validator: jsonschema.Draft202012Validator,
) -> None:
    plan = review_plan()
    plain = json.loads(render_json(sample_result()))
    report = json.loads(render_json(sample_result(), plan))
    validator.validate(report)
    assert list(report) == [*plain, "plan"]
    assert {k: v for k, v in report.items() if k != "plan"} == plain
    assert Plan.model_validate(report["plan"]) == plan
    assert report["plan"]["models"][0]["category"] == "breaking"
    assert report["plan"]["review_findings"][0]["rule_id"] == "FLOE501"


@pytest.mark.parametrize(
    ("where", "change"),
    [
        ("plan", {"unknown": 1}),
        ("model", {"category": "somewhat"}),
        ("classification", {"needs_review": "yes"}),
    ],
)
def test_the_schema_checks_the_plan_too(
    validator: jsonschema.Draft202012Validator, where: str, change: dict[str, Any]
) -> None:
    report = json.loads(render_json(sample_result(), review_plan()))
    target = {
        "plan": report["plan"],
        "model": report["plan"]["models"][0],
        "classification": report["plan"]["policy"]["classifications"][0],
    }[where]
    target.update(change)
    assert not validator.is_valid(report)


def test_the_report_schema_is_the_result_and_plan_models() -> None:
    schema = json.loads(PUBLISHED.read_text())
    defs = schema["$defs"]
    assert set(defs["Plan"]["properties"]) == set(Plan.model_fields)
    result_keys = set(CheckResult.model_fields) | {"summary", "passed"}
    assert set(schema["properties"]) == {"$schema", "plan", *result_keys}
    assert schema["properties"]["plan"]["$ref"] == "#/$defs/Plan"
    assert "plan" not in schema["required"]
