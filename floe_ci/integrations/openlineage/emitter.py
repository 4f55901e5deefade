"""START / COMPLETE / FAIL OpenLineage run events for each dbt model, seed and snapshot.

Each node run is an OpenLineage run of its own (job `package.node` in the pipeline's lineage
namespace) whose parent is the Dagster run. Inputs are the node's upstream relations, the
output is the relation it builds, with schema, column-lineage and classification facets.

Lineage is an observer: a transport that fails (an endpoint that is down, a file that cannot
be written) is logged once as a warning and the remaining events of the run are dropped; the
pipeline goes on.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import (
    InputDataset,
    Job,
    OutputDataset,
    Run,
    RunEvent,
    RunState,
)
from openlineage.client.facet_v2 import DatasetFacet, error_message_run, parent_run
from openlineage.client.uuid import generate_new_uuid

from floe_ci.artifacts import CompiledArtifacts
from floe_ci.integrations.dbt.log_events import NodeEvent
from floe_ci.integrations.openlineage.facets import (
    CLASSIFICATION_FACET_KEY,
    classification_facet,
    column_lineage_facet,
    job_type_facet,
    schema_facet,
    sql_facet,
)
from floe_ci.integrations.openlineage.naming import dataset_name, dataset_namespace, job_name
from floe_ci.integrations.openlineage.producer import PRODUCER
from floe_ci.integrations.openlineage.transport import build_transport

if TYPE_CHECKING:
    from openlineage.client.transport import Transport

    from floe_ci.lineage import ColumnLineage, ColumnOrigin

log = logging.getLogger(__name__)


class LineageEmitter:
    """Turns dbt node events into OpenLineage run events and sends them."""

    def __init__(
        self,
        transport: Transport,
        artifacts: CompiledArtifacts,
        *,
        parent_run_id: str,
        dataset_ns: str,
        target_path: Path | None,
        fallback_manifest: Path | None,
        project_dir: Path | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        self.client = OpenLineageClient(transport=transport)
        self.artifacts = artifacts
        self.namespace = artifacts.lineage_namespace or artifacts.metadata.pipeline_name
        self.parent_run_id = parent_run_id
        self.dataset_ns = dataset_ns
        self.target_path = target_path
        self.fallback_manifest = fallback_manifest
        self.adapter = artifacts.compute.target.value
        self.run_ids: dict[str, str] = {}
        self.sent = 0
        self.dropped = 0
        self.broken: str | None = None
        self.project_dir = project_dir
        self.cache_dir = cache_dir
        self._manifest: dict[str, Any] | None = None
        self._lineage: ColumnLineage | Literal[False] | None = None

    # -- NodeObserver ------------------------------------------------------------------------

    def node_started(self, event: NodeEvent) -> None:
        if not event.produces_dataset:
            return
        run_id = str(generate_new_uuid())
        self.run_ids[event.unique_id] = run_id
        node = self._node(event.unique_id)
        output = self._output(event, node, finished=False)
        self._send(
            RunEvent(
                eventType=RunState.START,
                eventTime=_iso(event.started_at),
                run=self._run(run_id),
                job=self._job(event, node, sql=None),
                inputs=self._inputs(node),
                outputs=[output],
                producer=PRODUCER,
            )
        )

    def node_finished(self, event: NodeEvent) -> None:
        run_id = self.run_ids.pop(event.unique_id, None)
        if run_id is None or not event.produces_dataset:
            return  # skipped nodes never started: no run to close
        node = self._node(event.unique_id)
        facets: dict[str, Any] = {}
        state = RunState.COMPLETE
        if event.failed:
            state = RunState.FAIL
            facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
                message=event.message or f"dbt {event.resource_type} {event.status}",
                programmingLanguage="SQL",
                producer=PRODUCER,
            )
        self._send(
            RunEvent(
                eventType=state,
                eventTime=_iso(event.finished_at),
                run=self._run(run_id, facets),
                job=self._job(event, node, sql=self._compiled_sql(node)),
                inputs=self._inputs(node),
                outputs=[self._output(event, node, finished=True)],
                producer=PRODUCER,
            )
        )

    def close(self) -> None:
        if self.broken and self.dropped:
            log.warning(
                "OpenLineage: %d event(s) of this run were not sent (%s)", self.dropped, self.broken
            )
        self.client.transport.close()

    # -- building events ---------------------------------------------------------------------

    def _run(self, run_id: str, facets: dict[str, Any] | None = None) -> Run:
        all_facets: dict[str, Any] = {
            "parent": parent_run.ParentRunFacet(
                run=parent_run.Run(runId=self.parent_run_id),
                job=parent_run.Job(
                    namespace=self.namespace, name=self.artifacts.metadata.pipeline_name
                ),
                producer=PRODUCER,
            )
        }
        all_facets.update(facets or {})
        return Run(runId=run_id, facets=all_facets)

    def _job(self, event: NodeEvent, node: Mapping[str, Any], sql: str | None) -> Job:
        facets: dict[str, Any] = {"jobType": job_type_facet(event.resource_type)}
        if sql:
            facets["sql"] = sql_facet(sql, self.adapter)
        return Job(namespace=self.namespace, name=job_name(event.unique_id), facets=facets)

    def _inputs(self, node: Mapping[str, Any]) -> list[InputDataset]:
        inputs = []
        for parent_id in sorted(set((node.get("depends_on") or {}).get("nodes") or [])):
            parent = self._node(parent_id)
            if not parent or parent.get("resource_type") not in (
                "model",
                "seed",
                "snapshot",
                "source",
            ):
                continue
            facets: dict[str, DatasetFacet] = {}
            schema = schema_facet(parent)
            if schema is not None:
                facets["schema"] = schema
            inputs.append(
                InputDataset(namespace=self.dataset_ns, name=_relation_name(parent), facets=facets)
            )
        return inputs

    def _output(self, event: NodeEvent, node: Mapping[str, Any], finished: bool) -> OutputDataset:
        name = (
            dataset_name(
                event.relation.get("database"),
                event.relation.get("schema"),
                event.relation.get("alias") or event.name,
            )
            if event.relation
            else _relation_name(node) or event.name
        )
        facets: dict[str, DatasetFacet] = {}
        schema = schema_facet(node)
        if schema is not None:
            facets["schema"] = schema
        if finished and not event.failed:
            lineage = column_lineage_facet(
                self._column_origins(event.unique_id), self.dataset_ns, self._relation_of
            )
            if lineage is not None:
                facets["columnLineage"] = lineage
        if self.artifacts.governance.emit_classification_lineage:
            policies = {
                key: policy.model_dump(mode="json", exclude_none=True)
                for key, policy in self.artifacts.governance.policies.items()
            }
            classified = (self.artifacts.column_classifications or {}).get(event.name)
            facet = classification_facet(classified, policies)
            if facet is not None:
                facets[CLASSIFICATION_FACET_KEY] = facet
        return OutputDataset(namespace=self.dataset_ns, name=name, facets=facets)

    # -- dbt artifacts -----------------------------------------------------------------------

    def _manifest_nodes(self) -> dict[str, Any]:
        if self._manifest is None:
            self._manifest = {}
            # This run's manifest (written by dbt before it executes nodes) names the real
            # database; the compile-time one was parsed against an in-memory profile.
            for path in (
                self.target_path / "manifest.json" if self.target_path else None,
                self.fallback_manifest,
            ):
                if path is not None and path.is_file():
                    try:
                        data = json.loads(path.read_bytes())
                    except (OSError, ValueError):
                        continue
                    self._manifest = {**data.get("sources", {}), **data.get("nodes", {})}
                    break
        return self._manifest

    def _node(self, unique_id: str) -> dict[str, Any]:
        node = self._manifest_nodes().get(unique_id)
        return node if isinstance(node, dict) else {}

    def _column_origins(self, unique_id: str) -> dict[str, ColumnOrigin]:
        """Output column -> origin, from floe's lineage engine (compiled SQL + sqlglot).

        Computed once per run over the whole project; a model it cannot analyse (or a seed)
        has no origins and its output carries no column-lineage facet.
        """
        if self._lineage is None:
            self._lineage = self._build_lineage()
        if self._lineage is False:
            return {}
        origins = {}
        for column in self._lineage.columns(unique_id) or []:
            origin = self._lineage.origin(unique_id, column)
            if origin is not None:
                origins[column] = origin
        return origins

    def _build_lineage(self) -> ColumnLineage | Literal[False]:
        if self.fallback_manifest is None or not self.fallback_manifest.is_file():
            return False
        from floe_ci.integrations.dbt.lineage import build_column_lineage

        try:
            manifest = json.loads(self.fallback_manifest.read_bytes())
            return build_column_lineage(manifest, self.project_dir, self.cache_dir)
        except Exception as exc:  # lineage detail is optional; the run events still go out
            log.warning("OpenLineage: no column lineage for this run: %s", exc)
            return False

    def _relation_of(self, unique_id: str) -> str | None:
        node = self._node(unique_id)
        return _relation_name(node) if node else None

    def _compiled_sql(self, node: Mapping[str, Any]) -> str | None:
        if self.target_path is None or node.get("resource_type") not in ("model", "snapshot"):
            return None
        path = (
            self.target_path
            / "compiled"
            / str(node.get("package_name", ""))
            / str(node.get("original_file_path", ""))
        )
        try:
            return path.read_text(encoding="utf-8") if path.is_file() else None
        except OSError:
            return None

    # -- sending -----------------------------------------------------------------------------

    def _send(self, event: RunEvent) -> None:
        if self.broken is not None:
            self.dropped += 1
            return
        try:
            self.client.emit(event)
            self.sent += 1
        except Exception as exc:  # any transport failure: warn once, never fail the run
            self.broken = f"{type(exc).__name__}: {exc}"
            self.dropped += 1
            log.warning(
                "OpenLineage: could not send a %s event for %s (%s); the pipeline goes on "
                "without lineage for this run",
                event.eventType.value if event.eventType else "run",
                event.job.name,
                self.broken,
            )


def lineage_observer(
    artifacts: CompiledArtifacts,
    project_root: Path,
    parent_run_id: str,
    target_path: Path | None,
) -> LineageEmitter | None:
    """The emitter for one Dagster run, or None when lineage is off or unconfigured."""
    transport = build_transport(artifacts.observability, project_root)
    if transport is None:
        return None
    from floe_ci.integrations.dbt.profiles import dbt_project_dir, profile_output

    output = profile_output(artifacts, project_root)
    fallback = (
        (project_root / artifacts.dbt_manifest_path).resolve()
        if artifacts.dbt_manifest_path
        else None
    )
    return LineageEmitter(
        transport,
        artifacts,
        parent_run_id=parent_run_id,
        dataset_ns=dataset_namespace(artifacts.compute.target, output),
        target_path=target_path,
        fallback_manifest=fallback,
        project_dir=dbt_project_dir(artifacts, project_root),
        cache_dir=project_root / ".floe" / "cache" / "lineage",
    )


def _relation_name(node: Mapping[str, Any]) -> str:
    identifier = node.get("alias") or node.get("identifier") or node.get("name") or ""
    return dataset_name(node.get("database"), node.get("schema"), str(identifier))


def _iso(moment: datetime | None) -> str:
    return (moment or datetime.now(tz=UTC)).isoformat()
