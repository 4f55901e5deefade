"""Classifications from manifest column meta: both meta locations, bad values as findings."""

from __future__ import annotations

from typing import Any

from floe_ci.governance.classifications import extract_classifications


def manifest(columns: dict[str, Any], name: str = "customers") -> dict[str, Any]:
    return {
        "nodes": {
            f"model.shop.{name}": {
                "unique_id": f"model.shop.{name}",
                "resource_type": "model",
                "name": name,
                "patch_path": "shop://models/_models.yml",
                "columns": columns,
            },
            "seed.shop.raw": {"resource_type": "seed", "name": "raw", "columns": {}},
        }
    }


def col(meta: Any = None, config_meta: Any = None) -> dict[str, Any]:
    column: dict[str, Any] = {"meta": {} if meta is None else {"floe": meta}}
    column["config"] = {"meta": {} if config_meta is None else {"floe": config_meta}}
    return column


def test_reads_meta_and_config_meta_with_config_winning() -> None:
    result = extract_classifications(
        manifest(
            {
                "email": col({"classification": "pii", "pii_type": "email", "sensitivity": "high"}),
                "phone": col(config_meta={"classification": "pii", "pii_type": "phone"}),
                "both": col({"classification": "internal"}, {"classification": "pii"}),
                "plain": col(),
            }
        )
    )
    model = result.classifications["customers"]
    assert sorted(model) == ["both", "email", "phone"]
    assert model["phone"].sensitivity == "medium"  # the seed's default
    assert model["both"].classification == "pii"
    assert result.findings == []


def test_unknown_sensitivity_is_a_finding_for_that_column_only() -> None:
    result = extract_classifications(
        manifest(
            {
                "email": col({"classification": "pii", "sensitivity": "extreme"}),
                "phone": col({"classification": "pii", "sensitivity": "high"}),
            }
        )
    )
    assert sorted(result.classifications["customers"]) == ["email", "phone"]
    [finding] = result.findings
    assert (finding.rule_id, finding.rule_name) == ("FLOE106", "unknown-sensitivity")
    assert (finding.model, finding.column) == ("customers", "email")
    assert finding.file == "models/_models.yml"
    assert finding.hint is not None and "expected one of" in finding.hint


def test_unknown_pii_type_and_unknown_meta_key_are_findings() -> None:
    result = extract_classifications(
        manifest({"email": col({"classification": "pii", "pii_type": "emial", "sensitivty": "x"})})
    )
    rules = sorted(f.rule_name for f in result.findings)
    assert rules == ["invalid-floe-meta", "unknown-pii-type"]
    messages = " ".join(f.message + (f.hint or "") for f in result.findings)
    assert "did you mean `email`?" in messages
    assert "did you mean `sensitivity`?" in messages


def test_non_mapping_meta_and_non_string_classification() -> None:
    result = extract_classifications(
        manifest({"a": col("pii"), "b": col({"classification": 3}), "c": col({"waive": ["x"]})})
    )
    assert "customers" not in result.classifications
    assert len(result.findings) == 2


def test_output_is_sorted_for_determinism() -> None:
    first = extract_classifications(
        manifest({"z": col({"classification": "pii"}), "a": col({"classification": "pii"})})
    )
    assert list(first.classifications["customers"]) == ["a", "z"]
