"""Cube's warehouse connection as container environment, derived from floe.yaml's `compute`.

Cube's drivers read `CUBEJS_DB_*` variables. Plain settings (host, port, database, DuckDB
path, Snowflake account, ...) come from `compute.properties`; credentials never do: they are
`secretKeyRef`s to the Kubernetes Secret that `compute.connection_secret_ref` names, with the
same keys the dbt profile reads (`PGW` -> Secret `pgw`, keys `PGW_USER`, `PGW_PASSWORD`).
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from floe_ci.artifacts import CompiledArtifacts
from floe_ci.spec.models import ComputeTarget

# dbt profile key -> Cube variable, per target (only the keys the properties hold are set).
_PLAIN: dict[ComputeTarget, dict[str, str]] = {
    ComputeTarget.POSTGRES: {
        "host": "CUBEJS_DB_HOST",
        "port": "CUBEJS_DB_PORT",
        "database": "CUBEJS_DB_NAME",
        "dbname": "CUBEJS_DB_NAME",
        "sslmode": "CUBEJS_DB_SSL",
    },
    ComputeTarget.REDSHIFT: {
        "host": "CUBEJS_DB_HOST",
        "port": "CUBEJS_DB_PORT",
        "database": "CUBEJS_DB_NAME",
        "dbname": "CUBEJS_DB_NAME",
    },
    ComputeTarget.SNOWFLAKE: {
        "account": "CUBEJS_DB_SNOWFLAKE_ACCOUNT",
        "warehouse": "CUBEJS_DB_SNOWFLAKE_WAREHOUSE",
        "role": "CUBEJS_DB_SNOWFLAKE_ROLE",
        "database": "CUBEJS_DB_NAME",
        "authenticator": "CUBEJS_DB_SNOWFLAKE_AUTHENTICATOR",
    },
    ComputeTarget.BIGQUERY: {
        "project": "CUBEJS_DB_BQ_PROJECT_ID",
        "location": "CUBEJS_DB_BQ_LOCATION",
    },
    ComputeTarget.DATABRICKS: {
        "host": "CUBEJS_DB_DATABRICKS_URL",
        "catalog": "CUBEJS_DB_DATABRICKS_CATALOG",
    },
    ComputeTarget.SPARK: {"host": "CUBEJS_DB_DATABRICKS_URL"},
}
# dbt credential key (as credential_env_vars names it) -> Cube variable.
_SECRET: dict[str, str] = {
    "user": "CUBEJS_DB_USER",
    "password": "CUBEJS_DB_PASS",
    "token": "CUBEJS_DB_DATABRICKS_TOKEN",
    "keyfile_json": "CUBEJS_DB_BQ_CREDENTIALS",
    "motherduck_token": "CUBEJS_DB_DUCKDB_MOTHERDUCK_TOKEN",
    "private_key_passphrase": "CUBEJS_DB_SNOWFLAKE_PRIVATE_KEY_PASS",
}
_DEFAULT_PORT = {ComputeTarget.POSTGRES: 5432, ComputeTarget.REDSHIFT: 5439}


@dataclass(frozen=True)
class CubeWarehouseEnv:
    """`env` as `[{name, value}]` and `secret_env` as `[{name, secretName, key}]` (chart values)."""

    env: list[dict[str, str]] = field(default_factory=list)
    secret_env: list[dict[str, str]] = field(default_factory=list)


def cube_warehouse_env(
    artifacts: CompiledArtifacts,
    *,
    project_dir: str,
    secret_name: Callable[[str], str],
) -> CubeWarehouseEnv:
    """The settings Cube needs to reach the warehouse dbt builds; `project_dir` is where the
    project sits in the pods (a relative DuckDB path is resolved against it)."""
    from floe_ci.integrations.dbt.profiles import credential_env_vars

    compute = artifacts.compute
    props: dict[str, Any] = dict(compute.properties)
    target = compute.target
    plain: dict[str, str] = {}
    if target == ComputeTarget.DUCKDB:
        path = str(props.get("path", ""))
        if path.startswith("md:"):
            plain["CUBEJS_DB_DUCKDB_DATABASE_PATH"] = path
        elif path and path != ":memory:":
            plain["CUBEJS_DB_DUCKDB_DATABASE_PATH"] = posixpath.join(project_dir, path)
    for key, name in _PLAIN.get(target, {}).items():
        value = props.get(key)
        if value is not None and not _is_reference(value) and name not in plain:
            plain[name] = str(value).lower() if isinstance(value, bool) else str(value)
    if target in _DEFAULT_PORT:
        plain.setdefault("CUBEJS_DB_PORT", str(_DEFAULT_PORT[target]))
    secrets = []
    ref = compute.connection_secret_ref
    if ref:
        for key, var in sorted(credential_env_vars(artifacts).items()):
            if key in _SECRET:
                secrets.append({"name": _SECRET[key], "secretName": secret_name(ref), "key": var})
    return CubeWarehouseEnv(
        env=[{"name": name, "value": value} for name, value in sorted(plain.items())],
        secret_env=sorted(secrets, key=lambda e: e["name"]),
    )


def _is_reference(value: Any) -> bool:
    """An `{{ env_var(...) }}` of the user's: resolved by dbt at run time, not a value for Cube."""
    return isinstance(value, str) and "env_var(" in value
