"""Governance at run time: apply floe.yaml's non-production policies to built models.

Mechanism: the built relations are rewritten IN PLACE, right after dbt built them, so the
non-production warehouse never keeps a readable raw value of a governed column:

- a table: `UPDATE ... SET col = <governed value>` (types, grants and constraints stay);
- a view: `CREATE OR REPLACE VIEW` over its own query, with the governed columns replaced
  (same column names and types, so dependent views keep working);
- `restrict` changes no values: on PostgreSQL every role holding SELECT that is not in
  `requires_role` loses SELECT on the relation and gets it back on the other columns only;
  roles in `requires_role` that exist are granted SELECT. DuckDB has no GRANT/REVOKE: the
  outcome says so (`not_supported`) and the column is left as is.

Each governed relation is marked with a comment (`floe-governed:non_production`) so that
applying twice changes nothing; dbt's next build replaces the relation with a raw one, which
is governed again. Incremental models keep their comment across runs and are therefore
always rewritten; mask and redact are idempotent, hash and synthesize of an already governed
value produce another non-raw value.

In production nothing is changed at all. Seeds and sources are inputs, not models: they are
not rewritten (load non-production copies of raw inputs that are already safe).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from floe_ci.artifacts import ColumnClassification, CompiledArtifacts
from floe_ci.errors import FloeUsageError, Problem
from floe_ci.governance.enforcement import (
    ColumnOutcome,
    GovernanceCategory,
    GovernanceReport,
    OutcomeStatus,
    RelationKind,
    restrict_statements,
    rewrite_statements,
)
from floe_ci.governance.policy_sql import governed_value_sql
from floe_ci.governance.sql_dialect import type_family
from floe_ci.integrations.dbt.profiles import profile_output, resolve_env_references
from floe_ci.integrations.warehouse.connection import (
    Column,
    DuckDBWarehouse,
    PostgresWarehouse,
    Relation,
    Warehouse,
)
from floe_ci.spec.models import ComputeTarget, PolicyAction

_RUNTIME_TARGETS = (ComputeTarget.DUCKDB, ComputeTarget.POSTGRES)
# The schema `dbt parse` used (floe parses with an in-memory DuckDB profile).
_PARSE_SCHEMA = "main"


def apply_runtime_governance(
    artifacts: CompiledArtifacts,
    project_root: Path,
    *,
    category: GovernanceCategory,
    relations: Mapping[str, str] | None = None,
) -> GovernanceReport:
    """Govern the built models' classified columns for `category`.

    `relations` maps model name to dbt's relation name (`"db"."schema"."alias"`, e.g. from
    DbtRunResult.built()): pass the models a run just built. None: every classified model,
    located from the manifest and the profile's schema.
    """
    target = artifacts.compute.target
    report = GovernanceReport(category, target.value)
    if category == "production":
        report.notes.append("production: policies are not applied at run time; data untouched")
        return report
    classified = artifacts.column_classifications or {}
    if relations is not None:
        classified = {m: c for m, c in classified.items() if m in relations}
    if not classified:
        report.notes.append("no classified columns in the built models")
        return report
    if target not in _RUNTIME_TARGETS:
        raise FloeUsageError.single(
            "floe.yaml",
            f"run-time governance for non-production is not available on {target.value}; "
            "classified columns would stay readable",
            hint="use duckdb or postgres for non-production runs, or the warehouse's own "
            "masking policies",
        )
    output = resolve_env_references(profile_output(artifacts, project_root))
    located = dict(relations or _relations_from_manifest(artifacts, project_root, output))
    failures: list[Problem] = []
    with _open_warehouse(target, output) as warehouse:
        for model in sorted(classified):
            if model not in located:
                continue
            relation = Relation.parse(located[model])
            try:
                _govern_relation(
                    warehouse, artifacts, project_root, model, relation, classified[model], report
                )
            except Exception as exc:  # the engine's error; the relation's transaction rolled back
                failures.append(_failure(model, relation, exc))
    if failures:
        raise FloeUsageError(failures)
    return report


def _failure(model: str, relation: Relation, exc: Exception) -> Problem:
    # Only the first line: PostgreSQL's DETAIL lines can quote row values.
    reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return Problem(
        str(relation),
        f"could not apply the non-production policies to model `{model}`: {reason}",
        hint="its classified columns may still hold raw values; fix the cause (e.g. a NOT NULL "
        "constraint on a column that mask or redact sets to NULL) and run again",
    )


def _open_warehouse(target: ComputeTarget, output: Mapping[str, Any]) -> Warehouse:
    if target == ComputeTarget.DUCKDB:
        return DuckDBWarehouse.open(str(output["path"]))
    return PostgresWarehouse.open(
        host=output["host"],
        port=int(output.get("port", 5432)),
        user=output["user"],
        password=output.get("password") or output.get("pass"),
        dbname=output.get("dbname") or output.get("database"),
    )


def _govern_relation(
    warehouse: Warehouse,
    artifacts: CompiledArtifacts,
    project_root: Path,
    model: str,
    relation: Relation,
    columns: Mapping[str, ColumnClassification],
    report: GovernanceReport,
) -> None:
    kind = warehouse.kind(relation)
    if kind is None:
        report.notes.append(f"{model}: relation {relation} not found (not built?)")
        return
    present = {c.name.lower(): c for c in warehouse.columns(relation)}
    rewrites: dict[str, str] = {}
    restricted: dict[str, list[str]] = {}
    pending: list[ColumnOutcome] = []
    for name, classification in sorted(columns.items()):
        outcome = _plan_column(
            warehouse, artifacts, model, relation, name, classification, present, rewrites
        )
        if outcome.status == "applied" and outcome.action == PolicyAction.RESTRICT.value:
            restricted[present[name.lower()].name] = _roles(artifacts, classification)
        pending.append(outcome)
    mark = warehouse.marked_comment(relation, kind)
    if mark is None and not _is_incremental(artifacts, project_root, model):
        report.outcomes.extend(
            replace(o, status="already_governed") if o.status == "applied" else o for o in pending
        )
        return
    statements = _rewrite_statements(warehouse, relation, kind, rewrites)
    if restricted and isinstance(warehouse, PostgresWarehouse):
        statements += _restrict_statements(warehouse, relation, restricted, report)
    if statements and mark is not None:
        statements.append(warehouse.comment_statement(relation, kind, mark))
    if statements:
        warehouse.run_in_transaction(statements)
    report.outcomes.extend(pending)


def _plan_column(
    warehouse: Warehouse,
    artifacts: CompiledArtifacts,
    model: str,
    relation: Relation,
    name: str,
    classification: ColumnClassification,
    present: Mapping[str, Column],
    rewrites: dict[str, str],
) -> ColumnOutcome:
    policy = artifacts.governance.policies.get(classification.classification)
    env_policy = policy.non_production if policy else None

    def outcome(status: OutcomeStatus, action: str, detail: str = "") -> ColumnOutcome:
        return ColumnOutcome(
            model, str(relation), name, classification.classification, action, status, detail
        )

    if env_policy is None:
        return outcome("skipped", "-", "no non_production policy for this classification")
    action = env_policy.action
    column = present.get(name.lower())
    if column is None:
        return outcome("skipped", action.value, "column not in the built relation")
    if action == PolicyAction.RESTRICT:
        if not warehouse.supports_grants:
            return outcome(
                "not_supported",
                action.value,
                f"{warehouse.label} has no GRANT/REVOKE; the column stays readable",
            )
        return outcome("applied", action.value, "SELECT limited to " + _role_text(env_policy))
    family = type_family(column.sql_type)
    rewrites[column.name] = governed_value_sql(
        action, column.name, column.sql_type, family, classification.pii_type, warehouse.sql
    )
    return outcome("applied", action.value)


def _role_text(policy: Any) -> str:
    roles = list(policy.requires_role)
    return ", ".join(roles) if roles else "the owner"


def _roles(artifacts: CompiledArtifacts, classification: ColumnClassification) -> list[str]:
    policy = artifacts.governance.policies[classification.classification].non_production
    return list(policy.requires_role) if policy else []


def _rewrite_statements(
    warehouse: Warehouse, relation: Relation, kind: RelationKind, rewrites: Mapping[str, str]
) -> list[str]:
    if not rewrites:
        return []
    columns = [c.name for c in warehouse.columns(relation)]
    view = warehouse.view_query(relation) if kind == "view" else None
    return rewrite_statements(warehouse.qualified(relation), kind, rewrites, columns, view)


def _restrict_statements(
    warehouse: PostgresWarehouse,
    relation: Relation,
    restricted: Mapping[str, list[str]],
    report: GovernanceReport,
) -> list[str]:
    owner = warehouse.owner(relation)
    allowed = {role for roles in restricted.values() for role in roles}
    existing = warehouse.existing_roles(sorted(allowed))
    for role in sorted(allowed - existing):
        report.notes.append(f"{relation}: role `{role}` (requires_role) does not exist")
    statements = restrict_statements(
        warehouse.qualified(relation),
        restricted,
        [c.name for c in warehouse.columns(relation)],
        owner=owner,
        existing_roles=existing,
        grantees=warehouse.select_grantees(relation),
    )
    report.notes.append(
        f"{relation}: the owner `{owner}` keeps full access (PostgreSQL owners cannot be "
        "restricted)"
    )
    return statements


def _manifest_nodes(artifacts: CompiledArtifacts, project_root: Path) -> dict[str, Any]:
    if artifacts.dbt_manifest_path is None:
        return {}
    data = json.loads((project_root / artifacts.dbt_manifest_path).read_bytes())
    return {
        str(node["name"]): node
        for node in data.get("nodes", {}).values()
        if node.get("resource_type") == "model"
    }


def _is_incremental(artifacts: CompiledArtifacts, project_root: Path, model: str) -> bool:
    node = _manifest_nodes(artifacts, project_root).get(model) or {}
    return (node.get("config") or {}).get("materialized") == "incremental"


def _relations_from_manifest(
    artifacts: CompiledArtifacts, project_root: Path, output: Mapping[str, Any]
) -> dict[str, str]:
    """Model name -> relation in the run's warehouse, for models named in the manifest.

    The manifest was parsed against DuckDB's `main` schema; dbt's default
    generate_schema_name puts a custom schema after the target schema, so the prefix is
    swapped for the run target's schema.
    """
    target_schema = str(output.get("schema") or _PARSE_SCHEMA)
    if artifacts.compute.target == ComputeTarget.DUCKDB:
        database = str(output.get("database") or Path(str(output["path"])).stem)
    else:
        database = str(output.get("dbname") or output.get("database"))
    relations = {}
    for name, node in _manifest_nodes(artifacts, project_root).items():
        schema = str(node.get("schema") or _PARSE_SCHEMA)
        if schema == _PARSE_SCHEMA or schema.startswith(_PARSE_SCHEMA + "_"):
            schema = target_schema + schema[len(_PARSE_SCHEMA) :]
        alias = str(node.get("alias") or name)
        relations[name] = str(Relation(database, schema, alias))
    return relations
