"""JSON report: matches its published schema, and the schema matches the models."""

from __future__ import annotations

import json

import jsonschema

from floe_ci.report.json_report import SCHEMA_FILE, render_json, report_schema_text
from tests.conftest import REPO_ROOT
from tests.unit.report_samples import sample_result

PUBLISHED = REPO_ROOT / "schemas" / SCHEMA_FILE


def test_published_schema_is_current() -> None:
    assert PUBLISHED.read_text() == report_schema_text(), (
        f"{PUBLISHED} is out of date: run `python -m floe_ci.report.json_report > {PUBLISHED}`"
    )


def test_report_validates_against_the_published_schema() -> None:
    schema = json.loads(PUBLISHED.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    report = json.loads(render_json(sample_result()))
    jsonschema.Draft202012Validator(schema).validate(report)
    assert report["summary"] == {"error": 2, "warning": 1, "info": 0, "waived": 1}
    assert report["passed"] is False
    waived = [f for f in report["findings"] if f["waived"]]
    assert waived[0]["waiver_reason"] == "the domain alone identifies nobody"


def test_schema_rejects_a_finding_without_a_rule() -> None:
    schema = json.loads(PUBLISHED.read_text())
    report = json.loads(render_json(sample_result()))
    del report["findings"][0]["rule_id"]
    assert not jsonschema.Draft202012Validator(schema).is_valid(report)
