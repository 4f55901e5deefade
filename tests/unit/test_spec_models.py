"""The floe.yaml models: defaults, every block, and the checks beyond types."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from floe_ci.spec.cron import cron_problem
from floe_ci.spec.models import ComputeTarget, FloeSpec, PolicyAction
from floe_ci.spec.secrets import find_literal_secrets


def spec(**extra: Any) -> FloeSpec:
    return FloeSpec.model_validate({"name": "shop", "compute": {"target": "duckdb"}, **extra})


def test_minimal_spec_has_seed_defaults() -> None:
    result = spec()
    assert result.version == "1.0"
    assert result.consumption.enabled is False
    assert result.observability.traces is True
    assert result.governance.classification_source.value == "dbt_meta"
    assert result.orchestration.schedules == []
    assert result.deploy.chart == "charts/floe-pipeline"


@pytest.mark.parametrize("target", [t.value for t in ComputeTarget])
def test_all_seven_compute_targets(target: str) -> None:
    assert FloeSpec.model_validate({"name": "p", "compute": {"target": target}})
    assert len(ComputeTarget) == 7


@pytest.mark.parametrize("action", [a.value for a in PolicyAction])
def test_policy_actions_per_environment(action: str) -> None:
    result = spec(
        governance={
            "policies": {
                "pii": {
                    "production": {"action": action, "requires_role": ["r"]},
                    "non_production": {"action": action},
                }
            }
        }
    )
    policy = result.governance.policies["pii"]
    assert policy.production is not None and policy.production.action.value == action
    assert policy.non_production is not None and policy.non_production.requires_role == []


def test_orchestration_and_deploy_blocks() -> None:
    result = spec(
        orchestration={
            "schedules": [{"name": "nightly", "cron": "0 3 * * *", "select": "tag:daily"}],
            "sensors": [
                {"type": "file", "name": "drop", "path": "in/x.csv"},
                {"type": "asset", "name": "up", "asset": "raw/orders"},
            ],
        },
        deploy={"environments": {"prod": {"governance": "production", "values": {"a": 1}}}},
    )
    assert [s.type for s in result.orchestration.sensors] == ["file", "asset"]
    assert result.deploy.environments["prod"].governance == "production"


@pytest.mark.parametrize(
    "extra",
    [
        {"name": "Bad Name"},
        {"version": "2.0"},
        {"orchestration": {"schedules": [{"name": "a", "cron": "* * *"}]}},
        {"orchestration": {"schedules": [{"name": "a", "cron": "0 0 * * *"}] * 2}},
        {"orchestration": {"sensors": [{"type": "http", "name": "a"}]}},
        {"consumption": {"cube": {"pre_aggregations": {"timezone": "Mars/Olympus"}}}},
        {"consumption": {"cube": {"port": 70000}}},
        {"compute": {"target": "duckdb", "connection_secret_ref": "pass word!"}},
        {"deploy": {"timeout": "soon"}},
        {"deploy": {"environments": {"x": {"governance": "prod"}}}},
    ],
)
def test_invalid_values_are_rejected(extra: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        spec(**extra)


@pytest.mark.parametrize(
    ("expression", "ok"),
    [
        ("*/30 * * * *", True),
        ("0 6 * * mon-fri", True),
        ("0 0 1 jan,jul *", True),
        ("@daily", True),
        ("60 * * * *", False),
        ("* * 0 * *", False),
        ("* * * * 8", False),
        ("5-1 * * * *", False),
        ("*/0 * * * *", False),
        ("0 0 * *", False),
    ],
)
def test_cron(expression: str, ok: bool) -> None:
    assert (cron_problem(expression) is None) is ok


@pytest.mark.parametrize(
    "properties",
    [
        {"password": "hunter2"},
        {"db_password": "x"},
        {"apiKey": "abc"},
        {"token": 12345},
        {"nested": {"client_secret": "s"}},
        {"host": "postgres://user:pw@db.internal/x"},
        {"note": "ghp_" + "a" * 36},
        {"pem": "-----BEGIN RSA PRIVATE KEY-----"},
        {"list": ["AKIA" + "A" * 16]},
    ],
)
def test_literal_secrets_are_found(properties: dict[str, Any]) -> None:
    assert list(find_literal_secrets({"compute": {"properties": properties}}))


@pytest.mark.parametrize(
    "properties",
    [
        {"password": "{{ env_var('DB_PASSWORD') }}"},
        {"token": "${GITHUB_TOKEN}"},
        {"password": ""},
        {"primary_key": "id"},
        {"key_column": "id"},
        {"path": "target/shop.duckdb"},
        {"connection_secret_ref": "WAREHOUSE"},
        {"host": "https://example.com/x"},
    ],
)
def test_references_and_ordinary_keys_are_not_secrets(properties: dict[str, Any]) -> None:
    assert not list(find_literal_secrets({"compute": {"properties": properties}}))
