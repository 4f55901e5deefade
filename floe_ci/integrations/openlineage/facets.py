"""OpenLineage facets for a dbt node: schema, column lineage, classification, job type.

The classification facet is floe's own (a custom facet, as the OpenLineage spec allows):
for each classified column, the `meta.floe` values the compiler read from dbt. Its JSON
Schema is `schemas/openlineage/FloeClassificationDatasetFacet.json` in this repository.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import attr
from openlineage.client.facet_v2 import (
    DatasetFacet,
    column_lineage_dataset,
    job_type_job,
    schema_dataset,
    sql_job,
)

from floe_ci.artifacts import ColumnClassification
from floe_ci.integrations.openlineage.producer import PRODUCER
from floe_ci.lineage import ColumnOrigin
from floe_ci.lineage.column_refs import OPENLINEAGE_KINDS

CLASSIFICATION_FACET_KEY = "floe_classification"
CLASSIFICATION_SCHEMA_URL = (
    "https://raw.githubusercontent.com/floe/action/v1/schemas/openlineage/"
    "FloeClassificationDatasetFacet.json#/$defs/FloeClassificationDatasetFacet"
)
_JOB_TYPES = {"model": "MODEL", "seed": "SEED", "snapshot": "SNAPSHOT"}


@attr.define
class FloeClassificationDatasetFacet(DatasetFacet):
    """Column classifications (PII, financial, ...) declared in dbt meta under `floe`."""

    columns: dict[str, dict[str, Any]] = attr.field(factory=dict)
    policies: dict[str, dict[str, Any]] = attr.field(factory=dict)

    _additional_skip_redact: ClassVar[list[str]] = ["columns", "policies"]

    @staticmethod
    def _get_schema() -> str:
        return CLASSIFICATION_SCHEMA_URL


def schema_facet(node: Mapping[str, Any]) -> schema_dataset.SchemaDatasetFacet | None:
    """The columns documented for the node in dbt (name, data_type, description)."""
    columns = node.get("columns") or {}
    if not columns:
        return None
    fields = [
        schema_dataset.SchemaDatasetFacetFields(
            name=str(column.get("name") or key),
            type=column.get("data_type") or None,
            description=column.get("description") or None,
            ordinal_position=position,
        )
        for position, (key, column) in enumerate(columns.items(), start=1)
    ]
    return schema_dataset.SchemaDatasetFacet(fields=fields, producer=PRODUCER)


def column_lineage_facet(
    origins: Mapping[str, ColumnOrigin],
    namespace: str,
    relation_of: Callable[[str], str | None],
) -> column_lineage_dataset.ColumnLineageDatasetFacet | None:
    """Where each output column comes from; `relation_of` names an upstream node's dataset.

    Each input field carries its edge kind in OpenLineage's vocabulary
    (`OPENLINEAGE_KINDS`: DIRECT IDENTITY / TRANSFORMATION / AGGREGATION, INDIRECT JOIN /
    CONDITIONAL), the kind in words as its description and `masking` for hashes, tests and
    counts. Columns whose origin floe could not resolve, or that come from no column at all
    (`count(*)`), are left out: the facet says only what is known.
    """
    fields: dict[str, column_lineage_dataset.Fields] = {}
    for column, origin in sorted(origins.items()):
        inputs = []
        for edge in origin.edges:
            relation = relation_of(edge.ref.node_id)
            if relation is None:
                continue
            kind, subtype, masking = OPENLINEAGE_KINDS[edge.kind]
            inputs.append(
                column_lineage_dataset.InputField(
                    namespace=namespace,
                    name=relation,
                    field=edge.ref.column,
                    transformations=[
                        column_lineage_dataset.Transformation(
                            type=kind,
                            subtype=subtype,
                            description=edge.detail or None,
                            masking=True if masking else None,
                        )
                    ],
                )
            )
        if inputs:
            fields[column] = column_lineage_dataset.Fields(inputFields=inputs)
    if not fields:
        return None
    return column_lineage_dataset.ColumnLineageDatasetFacet(fields=fields, producer=PRODUCER)


def classification_facet(
    classified: Mapping[str, ColumnClassification] | None,
    policies: Mapping[str, Mapping[str, Any]] | None = None,
) -> FloeClassificationDatasetFacet | None:
    if not classified:
        return None
    columns = {
        name: value.model_dump(exclude_none=True) for name, value in sorted(classified.items())
    }
    used = {c["classification"] for c in columns.values()}
    known = {k: dict(v) for k, v in (policies or {}).items() if k in used}
    return FloeClassificationDatasetFacet(columns=columns, policies=known, producer=PRODUCER)


def job_type_facet(resource_type: str) -> job_type_job.JobTypeJobFacet:
    return job_type_job.JobTypeJobFacet(
        processingType="BATCH",
        integration="DBT",
        jobType=_JOB_TYPES.get(resource_type, resource_type.upper()),
        producer=PRODUCER,
    )


def sql_facet(sql: str, adapter: str) -> sql_job.SQLJobFacet:
    return sql_job.SQLJobFacet(query=sql, dialect=adapter, producer=PRODUCER)
