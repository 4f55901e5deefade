"""What the generated cube.js needs to send OpenLineage events for the queries Cube answers.

Cube's logger (a cube.js option, 0.33 and 1.x) sees each answered query ("Load Request
Success": the query, the caller's security context, whether a pre-aggregation served it).
For every cube in it, cube.js sends a COMPLETE event: job `cube.<cube>` in the pipeline's
lineage namespace, the dbt model's table as input, named exactly as the dbt run events name
it (warehouse namespace + `database.schema.table`), the pre-aggregation as output when one
answered, and floe's `floe_cube_query` run facet (members, tenant). The transport is
floe.yaml's `observability` one (http, file or console).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from floe_ci.artifacts import CompiledArtifacts
from floe_ci.integrations.cube.model_sync import CubeModel
from floe_ci.integrations.openlineage.naming import dataset_name, dataset_namespace

OPENLINEAGE_SCHEMA_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
JOB_TYPE_SCHEMA_URL = (
    "https://openlineage.io/spec/facets/2-0-3/JobTypeJobFacet.json#/$defs/JobTypeJobFacet"
)
CUBE_QUERY_FACET_URL = (
    "https://raw.githubusercontent.com/floe/action/v1/schemas/openlineage/"
    "FloeCubeQueryRunFacet.json#/$defs/FloeCubeQueryRunFacet"
)


def cube_lineage_settings(
    artifacts: CompiledArtifacts,
    project_root: Path,
    models: list[CubeModel],
    pre_aggregations_schema: str,
) -> dict[str, Any] | None:
    """The `lineage` block of cube.js's settings, or None when lineage is off."""
    from floe_ci.integrations.dbt.profiles import profile_output
    from floe_ci.integrations.openlineage.producer import PRODUCER
    from floe_ci.integrations.openlineage.transport import (
        lineage_file_path,
        split_endpoint,
        transport_kind,
    )

    observability = artifacts.observability
    kind = transport_kind(observability)
    if kind is None:
        return None
    transport: dict[str, Any] = {"kind": kind}
    if kind == "http":
        if not observability.lineage_endpoint:
            return None  # the run's transport refuses this configuration with a located error
        base, path = split_endpoint(observability.lineage_endpoint)
        transport["url"] = f"{base}/{path}"
    elif kind == "file":
        transport["path"] = str(lineage_file_path(observability, project_root))
    namespace = dataset_namespace(artifacts.compute.target, profile_output(artifacts, project_root))
    job_namespace = artifacts.lineage_namespace or artifacts.metadata.pipeline_name
    datasets = {}
    pre_aggregations = {}
    for model in models:
        if model.relation is None:
            continue
        database, schema, identifier = model.relation
        datasets[model.name] = {
            "namespace": namespace,
            "name": dataset_name(database, schema, identifier),
        }
        for rollup in model.definition.get("pre_aggregations") or []:
            # Cube names the table <schema>.<cube>_<pre-aggregation>; where it lives (the
            # warehouse or Cube Store) is Cube's choice, so its namespace is Cube's.
            pre_aggregations[model.name] = {
                "namespace": f"cube://{job_namespace}",
                "name": f"{pre_aggregations_schema}.{model.name}_{rollup['name']}".lower(),
            }
    return {
        "transport": transport,
        "producer": PRODUCER,
        "schemaURL": OPENLINEAGE_SCHEMA_URL,
        "jobTypeSchemaURL": JOB_TYPE_SCHEMA_URL,
        "facetSchemaURL": CUBE_QUERY_FACET_URL,
        "jobNamespace": job_namespace,
        "datasets": datasets,
        "preAggregations": pre_aggregations,
    }
