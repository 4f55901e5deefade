"""What run-time governance does to a built relation, decided from facts: pure SQL text.

The warehouse (floe_ci.integrations.warehouse) answers the questions (what a relation is,
its columns, a view's query, who may read it) and runs the statements; this module decides
the policy category, the statements and the report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from floe_ci.artifacts import CompiledArtifacts
from floe_ci.errors import FloeUsageError
from floe_ci.governance.sql_dialect import quote_ident

GovernanceCategory = Literal["production", "non_production"]
OutcomeStatus = Literal["applied", "already_governed", "not_supported", "skipped"]
RelationKind = Literal["table", "view"]


@dataclass(frozen=True)
class ColumnOutcome:
    """What happened to one classified column of one model."""

    model: str
    relation: str
    column: str
    classification: str
    action: str
    status: OutcomeStatus
    detail: str = ""


@dataclass
class GovernanceReport:
    category: GovernanceCategory
    warehouse: str
    outcomes: list[ColumnOutcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def applied(self) -> list[ColumnOutcome]:
        return [o for o in self.outcomes if o.status == "applied"]

    @property
    def not_supported(self) -> list[ColumnOutcome]:
        return [o for o in self.outcomes if o.status == "not_supported"]

    def lines(self) -> list[str]:
        """Human-readable summary, one line per column outcome."""
        head = f"run-time governance ({self.category}, {self.warehouse}): "
        head += f"{len(self.applied)} column(s) governed"
        body = [
            f"  {o.status:<16} {o.model}.{o.column} ({o.classification}: {o.action})"
            + (f" - {o.detail}" if o.detail else "")
            for o in self.outcomes
        ]
        return [head, *body, *(f"  note: {note}" for note in self.notes)]


def governance_category(
    artifacts: CompiledArtifacts, environment: str | None = None
) -> GovernanceCategory:
    """The policies that apply: `deploy.environments[environment].governance`.

    Without an environment: the control plane's context when compiled with one, otherwise
    non_production (a local run is never production).
    """
    if environment is not None:
        envs = artifacts.deploy.environments
        if environment not in envs:
            known = ", ".join(sorted(envs)) or "none declared"
            raise FloeUsageError.single(
                "floe.yaml",
                f"unknown environment `{environment}` (deploy.environments: {known})",
                hint="declare it under `deploy.environments` with `governance: production` "
                "or `governance: non_production`",
            )
        return envs[environment].governance
    if artifacts.environment_context is not None:
        return artifacts.environment_context.governance_category
    return "non_production"


def rewrite_statements(
    target: str,
    kind: RelationKind,
    rewrites: Mapping[str, str],
    columns: Sequence[str],
    view: tuple[str, str | None] | None = None,
) -> list[str]:
    """Statements that replace the governed columns of a table (UPDATE) or a view (its query
    wrapped, same column names); `view` is (query, column list) for a view."""
    if not rewrites:
        return []
    if kind == "table":
        sets = ", ".join(f"{quote_ident(col)} = {expr}" for col, expr in rewrites.items())
        return [f"UPDATE {target} SET {sets}"]
    if view is None:
        raise ValueError("a view's rewrite needs its query")
    query, column_list = view
    select = ", ".join(
        f"{rewrites[c]} AS {quote_ident(c)}" if c in rewrites else f"floe_raw.{quote_ident(c)}"
        for c in columns
    )
    source = f"({query}) AS floe_raw{' ' + column_list if column_list else ''}"
    return [f"CREATE OR REPLACE VIEW {target} AS SELECT {select} FROM {source}"]


def restrict_statements(
    target: str,
    restricted: Mapping[str, list[str]],
    columns: Sequence[str],
    *,
    owner: str,
    existing_roles: set[str],
    grantees: set[str],
) -> list[str]:
    """REVOKE/GRANT statements that keep restricted columns from every grantee but the roles
    allowed (PostgreSQL column privileges); the owner cannot be restricted."""
    open_columns = [c for c in columns if c not in restricted]
    statements = []
    for grantee in sorted(grantees - existing_roles - {owner}):
        who = "PUBLIC" if grantee == "PUBLIC" else quote_ident(grantee)
        cols = ", ".join(quote_ident(c) for c in restricted)
        statements.append(f"REVOKE SELECT ON {target} FROM {who}")
        statements.append(f"REVOKE SELECT ({cols}) ON {target} FROM {who}")
        if open_columns:
            kept = ", ".join(quote_ident(c) for c in open_columns)
            statements.append(f"GRANT SELECT ({kept}) ON {target} TO {who}")
    for role in sorted(existing_roles):
        statements.append(f"GRANT SELECT ON {target} TO {quote_ident(role)}")
    return statements
