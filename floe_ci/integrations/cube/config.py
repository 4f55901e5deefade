"""Cube's server configuration: a JSON summary (seed 8.3) and the `cube.js` it runs with.

Secrets appear only as the NAME of an environment variable: Cube reads CUBEJS_API_SECRET,
which the Helm chart fills from the secret named by `consumption.cube.api_secret_ref`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from floe_ci.artifacts import CompiledArtifacts
from floe_ci.errors import FloeUsageError
from floe_ci.spec.cube_refresh import cube_refresh_every
from floe_ci.spec.cube_version import has_access_policy
from floe_ci.spec.models import DEFAULT_CUBE_VERSION, ComputeTarget

CUBE_JS_TEMPLATE = Path(__file__).with_name("cube_js_template.js")

PRE_AGGREGATIONS_SCHEMA = "floe_preaggs"
API_SECRET_ENV = "CUBEJS_API_SECRET"
# Cube has no Spark driver of its own; Databricks' JDBC driver speaks to Spark SQL endpoints.
_DRIVERS = {
    ComputeTarget.DUCKDB: "duckdb",
    ComputeTarget.SNOWFLAKE: "snowflake",
    ComputeTarget.BIGQUERY: "bigquery",
    ComputeTarget.POSTGRES: "postgres",
    ComputeTarget.REDSHIFT: "redshift",
    ComputeTarget.DATABRICKS: "databricks-jdbc",
    ComputeTarget.SPARK: "databricks-jdbc",
}


def cube_driver(target: ComputeTarget) -> str:
    return _DRIVERS[target]


def generate_cube_config(artifacts: CompiledArtifacts) -> dict[str, Any]:
    """Cube's settings from the compiled artifacts; raises when Cube is not enabled."""
    cube = artifacts.consumption.cube
    if not artifacts.consumption.enabled or cube is None:
        raise FloeUsageError.single(
            "floe.yaml",
            "the consumption layer (Cube) is not enabled",
            hint="set `consumption.enabled: true` and a `consumption.cube` block",
        )
    security = cube.security
    return {
        "apiPort": cube.port,
        "cubeVersion": cube.version,
        "dbType": cube_driver(artifacts.compute.target),
        "preAggregationsSchema": PRE_AGGREGATIONS_SCHEMA,
        "scheduledRefreshCron": cube.pre_aggregations.refresh_schedule,
        "refreshEvery": cube_refresh_every(cube.pre_aggregations.refresh_schedule).every,
        "scheduledRefreshTimezone": cube.pre_aggregations.timezone,
        "rowLevelSecurity": (
            {"tenantColumn": security.tenant_column} if security.row_level else None
        ),
        "env": {API_SECRET_ENV: {"secretRef": cube.api_secret_ref}},
    }


def render_cube_js(
    config: dict[str, Any],
    tenant_cubes: list[str],
    *,
    restricted: dict[str, list[str]] | None = None,
    lineage: dict[str, Any] | None = None,
) -> str:
    """The `cube.js` Cube starts with (`cube_js_template.js` with floe's settings).

    With row-level security every query that touches a cube holding the tenant column gets
    a filter `<cube>.<tenant column> = securityContext.tenant_id`, and a token without a
    tenant gets 403 for data (it may still read /meta). On Cube 1.x the groups of the
    models' `access_policy` come from the JWT's `groups` or `roles` claim; on 0.33
    (`restricted`: member -> roles) queryRewrite refuses a restricted member with 403 for
    a token outside its roles. `lineage` (query_lineage) turns on OpenLineage events.
    """
    security = config.get("rowLevelSecurity")
    settings = {
        "tenantColumn": security["tenantColumn"] if security else None,
        "tenantCubes": sorted(tenant_cubes),
        "restricted": dict(sorted((restricted or {}).items())),
        "accessPolicy": has_access_policy(str(config.get("cubeVersion", DEFAULT_CUBE_VERSION))),
        "preAggregationsSchema": config["preAggregationsSchema"],
        "timezone": config["scheduledRefreshTimezone"],
        "lineage": lineage,
    }
    template = CUBE_JS_TEMPLATE.read_text(encoding="utf-8")
    return template.replace("/*FLOE_SETTINGS*/", json.dumps(settings, indent=2, sort_keys=True))
