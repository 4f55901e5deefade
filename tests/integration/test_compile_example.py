"""Compiling the example runs the real `dbt parse` and reads classifications from it."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import jsonschema
import pytest

from floe_ci.app.compile import artifacts_json, compile_pipeline
from floe_ci.errors import FloeUsageError
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.integration


def test_example_compiles_with_classifications(parsed_shop: Path) -> None:
    artifacts = compile_pipeline(parsed_shop / "floe.yaml")
    classified = artifacts.column_classifications or {}
    assert sorted(classified) == ["customers", "orders", "stg_customers", "stg_orders"]
    # `config.meta` (dbt >= 1.10) is read as well as `meta`.
    assert classified["stg_customers"]["phone"].pii_type == "phone"
    assert classified["customers"]["email"].sensitivity == "high"
    assert artifacts.findings == []
    assert artifacts.dbt_project_path == "."
    # floe-ci's own parse; the user's `target/` is theirs
    assert artifacts.dbt_manifest_path == ".floe/cache/parse-target/manifest.json"
    assert artifacts.metadata.source_hash.startswith("sha256:")


def test_artifacts_validate_against_checked_in_schema(parsed_shop: Path) -> None:
    schema = json.loads((REPO_ROOT / "schemas" / "compiled-artifacts.schema.json").read_text())
    document = json.loads(artifacts_json(compile_pipeline(parsed_shop / "floe.yaml")))
    jsonschema.validate(document, schema, cls=jsonschema.Draft202012Validator)


def test_output_is_byte_identical_apart_from_compiled_at(
    parsed_shop: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = artifacts_json(compile_pipeline(parsed_shop / "floe.yaml"))
    second = artifacts_json(compile_pipeline(parsed_shop / "floe.yaml", refresh_manifest=True))

    def without_time(text: str) -> list[str]:
        return [line for line in text.splitlines() if '"compiled_at"' not in line]

    assert without_time(first) == without_time(second)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    pinned = artifacts_json(compile_pipeline(parsed_shop / "floe.yaml"))
    # The instant itself, not merely two equal runs (two runs in one second agree anyway).
    assert json.loads(pinned)["metadata"]["compiled_at"] == "2023-11-14T22:13:20Z"
    assert pinned == artifacts_json(compile_pipeline(parsed_shop / "floe.yaml"))


def test_manifest_is_reparsed_only_when_stale(shop: Path) -> None:
    manifest = shop / ".floe" / "cache" / "parse-target" / "manifest.json"
    compile_pipeline(shop / "floe.yaml")
    first_mtime = manifest.stat().st_mtime_ns
    compile_pipeline(shop / "floe.yaml")
    assert manifest.stat().st_mtime_ns == first_mtime  # current: no parse

    properties = shop / "models" / "marts" / "_marts.yml"
    text = properties.read_text().replace(
        "      - name: country\n        data_type: varchar\n      - name: signed_up_on",
        "      - name: country\n        data_type: varchar\n        meta:\n"
        "          floe: {classification: pii, pii_type: address}\n      - name: signed_up_on",
    )
    properties.write_text(text)
    later = time.time() + 2
    os.utime(properties, (later, later))
    artifacts = compile_pipeline(shop / "floe.yaml")
    assert manifest.stat().st_mtime_ns != first_mtime
    assert (artifacts.column_classifications or {})["customers"]["country"].pii_type == "address"


def test_bad_sensitivity_is_a_located_finding_and_keeps_other_columns(shop: Path) -> None:
    properties = shop / "models" / "staging" / "_staging.yml"
    properties.write_text(
        properties.read_text().replace(
            "{classification: pii, pii_type: email, sensitivity: high}",
            "{classification: pii, pii_type: email, sensitivity: extreme}",
        )
    )
    artifacts = compile_pipeline(shop / "floe.yaml")
    [finding] = artifacts.findings
    assert (finding.rule_id, finding.rule_name) == ("FLOE106", "unknown-sensitivity")
    assert (finding.model, finding.column) == ("stg_customers", "email")
    assert finding.file == "models/staging/_staging.yml"
    lines = properties.read_text().splitlines()
    assert finding.line is not None and lines[finding.line - 1].strip() == "- name: email"
    assert len((artifacts.column_classifications or {})["stg_customers"]) == 5


def test_dbt_parse_failure_is_a_usage_error(shop: Path) -> None:
    (shop / "models" / "marts" / "broken.sql").write_text("select * from {{ ref('nope') }}\n")
    with pytest.raises(FloeUsageError) as caught:
        compile_pipeline(shop / "floe.yaml")
    assert "dbt parse` failed" in str(caught.value)
    assert "nope" in str(caught.value)


def test_missing_dbt_project_points_at_transforms_path(shop: Path) -> None:
    config = shop / "floe.yaml"
    config.write_text(config.read_text().replace("    path: .\n", "    path: ./missing\n"))
    with pytest.raises(FloeUsageError) as caught:
        compile_pipeline(config, display="floe.yaml")
    [problem] = caught.value.problems
    assert problem.file == "floe.yaml"
    assert problem.line is not None
    assert "dbt_project.yml not found" in problem.message
