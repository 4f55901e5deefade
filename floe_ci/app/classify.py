"""`floe-ci classify`: propose classifications for unclassified columns, and write them.

Proposals come from names and declared types (FLOE201's detectors) and, with sampling, from
the values of the columns in the warehouse (DuckDB or PostgreSQL, through the floe.yaml
compute settings). Writing goes into the dbt properties YAML of each column's package,
changing nothing else in the files (integrations/dbt/properties_writer).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from floe_ci.app.check import CheckRun, collect_check
from floe_ci.errors import FloeUsageError
from floe_ci.governance.evaluate import CheckOptions
from floe_ci.governance.proposals import (
    Proposal,
    merge_proposals,
    proposal_for,
    propose_from_names,
)
from floe_ci.governance.rules.base import ModelFacts
from floe_ci.governance.value_detection import detect_values
from floe_ci.integrations.dbt.properties_writer import ColumnEdit, PropertiesWriter, WriteResult

DEFAULT_SAMPLE_ROWS = 100


@dataclass
class ClassifyRun:
    """The proposals of one `floe-ci classify`, with what they were computed from."""

    run: CheckRun
    proposals: list[Proposal]
    sampled_columns: int = 0
    notes: list[str] = field(default_factory=list)  # relations not found, skipped...


def propose(
    config_path: Path, shown: str, *, sample_rows: int | None = None, today: date | None = None
) -> ClassifyRun:
    """Proposals for the pipeline at `config_path`; with `sample_rows`, also from values."""
    run = collect_check(config_path, CheckOptions(config_file=shown))
    named = propose_from_names(run.context)
    result = ClassifyRun(run, named)
    if sample_rows is not None:
        from_values = _propose_from_values(
            config_path, shown, run, named, sample_rows, today or date.today(), result
        )
        result.proposals = merge_proposals(named, from_values)
    return result


def _propose_from_values(
    config_path: Path,
    shown: str,
    run: CheckRun,
    named: list[Proposal],
    limit: int,
    today: date,
    result: ClassifyRun,
) -> list[Proposal]:
    from floe_ci.app.compile import compile_pipeline
    from floe_ci.integrations.dbt.profiles import profile_output, resolve_env_references
    from floe_ci.integrations.warehouse.sampling import (
        SAMPLE_TARGETS,
        RelationFinder,
        database_of,
        open_sampling_warehouse,
        samplable,
        sample_columns,
    )

    spec = run.context.spec
    if spec.compute.target not in SAMPLE_TARGETS:
        raise FloeUsageError.single(
            shown,
            f"--sample reads DuckDB or PostgreSQL; compute.target is {spec.compute.target.value}",
            hint="run classify without --sample (names and types only)",
        )
    root = config_path.resolve().parent
    artifacts = compile_pipeline(config_path, display=shown)
    output = resolve_env_references(profile_output(artifacts, root))
    taken = {(p.node_id, p.column.lower()) for p in named}
    proposals: list[Proposal] = []
    try:
        warehouse = open_sampling_warehouse(spec.compute.target, output)
    except Exception as exc:  # the driver's own error: first line only (no DSN details)
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise FloeUsageError.single(
            shown,
            f"--sample cannot connect to the {spec.compute.target.value} warehouse: {reason}",
            hint="build the project first (dbt seed / dbt run), and set the credential "
            "variables `compute.connection_secret_ref` names",
        ) from None
    with warehouse:
        finder = RelationFinder.load(
            warehouse,
            database_of(spec.compute.target, output),
            str(output.get("schema") or "main"),
        )
        context = run.context
        for relation in (*context.models.values(), *context.inputs.values()):
            found = finder.find(relation.node)
            if found is None:
                result.notes.append(f"`{relation.name}`: not found in the warehouse, not sampled")
                continue
            columns = [
                c
                for c in warehouse.columns(found)
                if samplable(c)
                and (relation.node_id, c.name.lower()) not in taken
                and not _decided(relation, c.name)
            ]
            for column, values in sample_columns(warehouse, found, columns, limit):
                result.sampled_columns += 1
                verdict = detect_values(values, today)
                del values  # nothing of the sample outlives the verdict
                if verdict is not None:
                    name = _declared_name(relation, column.name)
                    proposals.append(
                        proposal_for(relation, name, verdict.pii_type, verdict.evidence)
                    )
    return proposals


def _decided(relation: ModelFacts, column: str) -> bool:
    """Classified already, or a `floe` block someone wrote (a waiver, say)."""
    facts = relation.columns.get(column.lower())
    return facts is not None and (facts.classification is not None or facts.meta is not None)


def _declared_name(relation: ModelFacts, column: str) -> str:
    facts = relation.columns.get(column.lower())
    return facts.name if facts is not None else column


def writer_for(run: CheckRun, config_path: Path, shown: str) -> PropertiesWriter:
    """A properties writer for the project's packages (installed ones are left alone)."""
    from floe_ci.app.compile import dbt_project_of
    from floe_ci.app.spec_file import load_spec
    from floe_ci.integrations.dbt.packages import package_roots

    project = dbt_project_of(load_spec(config_path, shown), shown)
    if project is None:
        raise FloeUsageError.single(shown, "floe.yaml lists no dbt transform")
    install = str(project.config.get("packages-install-path") or "dbt_packages")
    return PropertiesWriter(project.path, package_roots(project), project.path / install)


def plan_writes(
    classify: ClassifyRun,
    config_path: Path,
    shown: str,
    accept: Callable[[Proposal], bool] | None = None,
) -> WriteResult:
    """The file edits for the accepted proposals (all unless `accept` says no)."""
    chosen = [p for p in classify.proposals if accept is None or accept(p)]
    return writer_for(classify.run, config_path, shown).plan(edits_for(classify.run, chosen))


def write_edits(writes: WriteResult) -> None:
    """Write the edits (each file atomically). Nothing else is needed for the next check to
    see them: the manifest is re-parsed by the content of the files dbt reads, a `local:`
    package's folder included (integrations/dbt/input_digest)."""
    writes.write()


def edits_for(run: CheckRun, proposals: Iterable[Proposal]) -> list[ColumnEdit]:
    nodes = {**run.context.models, **run.context.inputs}
    return [ColumnEdit(nodes[p.node_id].node, p.column, p.floe_meta(), p.label) for p in proposals]
