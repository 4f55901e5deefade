"""How a classified column is served by Cube in production (pure decisions, no I/O).

Cube serves production data, so each classified column follows its classification's
`production` policy:

| production action               | in the cube                                                   |
|---------------------------------|---------------------------------------------------------------|
| restrict, with `requires_role`  | a dimension excluded by `access_policy` for every group but   |
|                                 | the listed roles (Cube member-level access control)           |
| mask, hash, redact              | a dimension whose SQL is the governed value (the raw value is |
|                                 | unreachable through Cube)                                     |
| restrict without roles,         | left out of the cube (no dimension, no measure)               |
| synthesize, no policy, or a     |                                                               |
| type/warehouse floe cannot      |                                                               |
| govern in SQL                   |                                                               |
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from floe_ci.artifacts import ColumnClassification
from floe_ci.governance.policy_sql import governed_value_sql
from floe_ci.governance.sql_dialect import Dialect, SqlDialect, TypeFamily, quote_ident, type_family
from floe_ci.spec.models import ComputeTarget, GovernanceConfig, PolicyAction

CUBE_REF = "{CUBE}."
_SQL_GOVERNED = frozenset({PolicyAction.MASK, PolicyAction.HASH, PolicyAction.REDACT})
_DIALECTS = {ComputeTarget.DUCKDB: Dialect.DUCKDB, ComputeTarget.POSTGRES: Dialect.POSTGRES}


class Exposure(StrEnum):
    RAW = "raw"  # not classified
    RESTRICTED = "restricted"  # served to `groups` only (access_policy)
    GOVERNED = "governed"  # served as its governed value
    OMITTED = "omitted"  # not in the cube at all


@dataclass(frozen=True)
class ColumnExposure:
    exposure: Exposure
    sql: str  # Cube member SQL (`{CUBE}.col` or the governed expression)
    classification: str | None = None
    action: str | None = None
    groups: tuple[str, ...] = ()
    reason: str = ""


def raw_sql(column: str) -> str:
    return CUBE_REF + column


def column_exposure(
    column: str,
    data_type: str | None,
    classification: ColumnClassification | None,
    governance: GovernanceConfig,
    target: ComputeTarget,
) -> ColumnExposure:
    """What Cube may show of `column` in production."""
    if classification is None:
        return ColumnExposure(Exposure.RAW, raw_sql(column))
    name = classification.classification
    policy = governance.policies.get(name)
    production = policy.production if policy else None
    if production is None:
        return _omitted(name, None, f"classification `{name}` has no production policy")
    action = production.action
    if action == PolicyAction.RESTRICT:
        roles = tuple(production.requires_role)
        if not roles:
            return _omitted(name, action, "restrict without requires_role: nobody may read it")
        return ColumnExposure(Exposure.RESTRICTED, raw_sql(column), name, action.value, roles)
    if action not in _SQL_GOVERNED:
        return _omitted(name, action, f"production action `{action.value}` keeps the raw value")
    dialect = _DIALECTS.get(target)
    if dialect is None:
        return _omitted(name, action, f"`{action.value}` in SQL is not available on {target.value}")
    if not data_type:
        return _omitted(name, action, "no `data_type` in the properties YAML to govern it by")
    family = type_family(data_type)
    if family == TypeFamily.OTHER:
        return _omitted(name, action, f"type `{data_type}` cannot be governed in SQL")
    expr = governed_value_sql(
        action, column, data_type, family, classification.pii_type, SqlDialect(dialect)
    )
    ref = quote_ident(column)
    served = CUBE_REF + ref
    if family == TypeFamily.TEXT and action == PolicyAction.MASK:
        # The declared type is text; the warehouse's may not be (a seed of digits is an
        # integer column), and the governed SQL calls text functions on it.
        served = f"CAST({served} AS VARCHAR)"
    return ColumnExposure(Exposure.GOVERNED, expr.replace(ref, served), name, action.value)


def _omitted(name: str, action: PolicyAction | None, reason: str) -> ColumnExposure:
    return ColumnExposure(
        Exposure.OMITTED, "", name, action.value if action else None, reason=reason
    )
