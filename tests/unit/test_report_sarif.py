"""SARIF: valid against the official SARIF 2.1.0 JSON Schema, with what GitHub needs."""

from __future__ import annotations

import json

import jsonschema
import pytest

from floe_ci.governance.rules.registry import all_rules
from floe_ci.report.sarif import render_sarif
from tests.conftest import REPO_ROOT
from tests.unit.report_samples import sample_result

SARIF_SCHEMA = json.loads((REPO_ROOT / "tests" / "data" / "sarif-2.1.0.schema.json").read_text())


def validate(log: dict[str, object]) -> None:
    cls = jsonschema.validators.validator_for(SARIF_SCHEMA)
    cls.check_schema(SARIF_SCHEMA)
    cls(SARIF_SCHEMA).validate(log)


def test_sarif_validates_against_the_official_schema() -> None:
    validate(json.loads(render_sarif(sample_result())))


def test_the_schema_is_strict_enough_to_catch_a_broken_log() -> None:
    log = json.loads(render_sarif(sample_result()))
    log["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        validate(log)


def test_rules_carry_help_and_results_point_at_repository_files() -> None:
    run = json.loads(render_sarif(sample_result()))["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [r.id for r in all_rules()]
    for rule in rules:
        assert rule["help"]["text"] and rule["shortDescription"]["text"]
    by_rule = {r["ruleId"]: r for r in run["results"] if not r.get("suppressions")}
    location = by_rule["FLOE301"]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "examples/shop/models/marts/_marts.yml"
    assert location["region"] == {"startLine": 64}
    assert by_rule["FLOE103"]["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 42,
        "startColumn": 9,
    }
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    assert by_rule["FLOE301"]["properties"]["lineagePath"] == [
        "stg_customers.email",
        "customer_contacts.contact_email",
    ]


def test_waived_findings_are_suppressed_with_their_reason() -> None:
    run = json.loads(render_sarif(sample_result()))["runs"][0]
    suppressed = [r for r in run["results"] if r.get("suppressions")]
    assert len(suppressed) == 1
    assert suppressed[0]["suppressions"] == [
        {"kind": "inSource", "justification": "the domain alone identifies nobody"}
    ]


def test_fingerprints_ignore_line_moves() -> None:
    first = json.loads(render_sarif(sample_result()))["runs"][0]["results"]
    moved = sample_result()
    moved = moved.model_copy(
        update={
            "findings": [f.model_copy(update={"line": (f.line or 0) + 3}) for f in moved.findings]
        }
    )
    second = json.loads(render_sarif(moved))["runs"][0]["results"]
    assert [r["partialFingerprints"] for r in first] == [r["partialFingerprints"] for r in second]


def test_findings_of_other_producers_get_a_rule_descriptor() -> None:
    from tests.unit.report_samples import finding

    review = finding("FLOE501", "declassification", "warning", file="m.yml", line=3)
    log = json.loads(render_sarif(sample_result([review])))
    validate(log)
    run = log["runs"][0]
    result = next(r for r in run["results"] if r["ruleId"] == "FLOE501")
    descriptor = run["tool"]["driver"]["rules"][result["ruleIndex"]]
    assert descriptor["name"] == "Declassification"
    assert "state:modified" in descriptor["help"]["text"]  # the review rule's own documentation

    unknown = finding("XYZ001", "someone-elses-rule", "warning", file="m.yml", line=3)
    log = json.loads(render_sarif(sample_result([unknown])))
    validate(log)
    run = log["runs"][0]
    result = next(r for r in run["results"] if r["ruleId"] == "XYZ001")
    assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["name"] == "someone-elses-rule"
