"""How classified columns are served by Cube in production, and the deploy's Helm values."""

from __future__ import annotations

import pytest

from floe_ci.artifacts import ColumnClassification
from floe_ci.integrations.cube.exposure import ColumnExposure, Exposure, column_exposure
from floe_ci.integrations.helm.client import duration_seconds
from floe_ci.integrations.helm.values import deep_merge, secret_name
from floe_ci.spec.models import ComputeTarget, GovernanceConfig

GOVERNANCE = GovernanceConfig.model_validate(
    {
        "policies": {
            "pii": {"production": {"action": "restrict", "requires_role": ["pii_reader"]}},
            "secret": {"production": {"action": "restrict"}},
            "financial": {"production": {"action": "hash"}},
            "contact": {"production": {"action": "mask"}},
            "fake": {"production": {"action": "synthesize"}},
            "nothing": {"non_production": {"action": "mask"}},
        }
    }
)


def exposure(
    classification: str | None, data_type: str | None = "varchar", target: str = "duckdb"
) -> ColumnExposure:
    label = ColumnClassification(classification=classification) if classification else None
    return column_exposure("email", data_type, label, GOVERNANCE, ComputeTarget(target))


def test_unclassified_columns_are_served_raw() -> None:
    result = exposure(None)
    assert result.exposure == Exposure.RAW and result.sql == "{CUBE}.email"


def test_restrict_with_roles_is_served_to_those_roles_only() -> None:
    result = exposure("pii")
    assert result.exposure == Exposure.RESTRICTED and result.groups == ("pii_reader",)


@pytest.mark.parametrize(
    ("classification", "reason"),
    [
        ("secret", "requires_role"),
        ("fake", "synthesize"),
        ("nothing", "no production policy"),
        ("unknown", "no production policy"),
    ],
)
def test_columns_that_cannot_be_protected_are_left_out(classification: str, reason: str) -> None:
    result = exposure(classification)
    assert result.exposure == Exposure.OMITTED and reason in result.reason and result.sql == ""


def test_hash_and_mask_are_served_as_their_governed_sql() -> None:
    hashed = exposure("financial")
    assert hashed.exposure == Exposure.GOVERNED
    assert 'sha256(CAST({CUBE}."email" AS VARCHAR))' in hashed.sql
    masked = exposure("contact")
    assert "'***'" in masked.sql and '{CUBE}."email"' in masked.sql
    assert '"email"' not in masked.sql.replace('{CUBE}."email"', "")  # every reference qualified


def test_governed_sql_needs_a_known_type_and_warehouse() -> None:
    assert exposure("financial", data_type=None).exposure == Exposure.OMITTED
    assert exposure("financial", data_type="blob").exposure == Exposure.OMITTED
    snowflake = exposure("financial", target="snowflake")
    assert snowflake.exposure == Exposure.OMITTED and "snowflake" in snowflake.reason


def test_values_merge_mapping_by_mapping_and_lists_replace() -> None:
    base = {"dagster": {"replicas": 1, "port": 3030}, "pipeline": {"env": [{"name": "A"}]}}
    merged = deep_merge(base, {"dagster": {"replicas": 2}, "pipeline": {"env": []}})
    assert merged == {"dagster": {"replicas": 2, "port": 3030}, "pipeline": {"env": []}}
    assert base["dagster"]["replicas"] == 1  # inputs untouched


def test_secret_names_and_durations() -> None:
    assert secret_name("WAREHOUSE_CREDS") == "warehouse-creds"
    assert secret_name("prod/warehouse.db") == "prod-warehouse-db"
    assert duration_seconds("5m") == 300 and duration_seconds("2h") == 7200
