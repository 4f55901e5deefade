"""The fix of each finding that has one (governance/fixes.py), on small projects as data."""

from __future__ import annotations

from floe_ci.governance.evaluate import CheckOptions, evaluate_context
from floe_ci.governance.fixes import fixes_for
from floe_ci.testing import Model, Project

POLICIES = {
    "pii": {
        "production": {"action": "restrict", "requires_role": ["pii_reader"]},
        "non_production": {"action": "mask"},
    }
}
STAGING = Model(
    "stg_users",
    "select id, email, full_name from raw_users",
    columns={
        "id": None,
        "email": {"classification": "pii", "pii_type": "email", "sensitivity": "high"},
        "full_name": {"classification": "pii", "sensitivity": "hgih"},
    },
)
MART = Model(
    "contacts",
    "select email as reach_at, md5(email) as hashed, home_phone from {{ ref('stg_users') }} "
    "cross join (select '1' as home_phone) p",
)


def _fixes(project: Project) -> dict[tuple[str, str], dict[str, str]]:
    ctx = project.context()
    result = evaluate_context(ctx, CheckOptions())
    return {(f.finding.rule_id, f.column): f.floe for f in fixes_for(ctx, result.findings)}


def test_each_fixable_rule_gets_its_fix() -> None:
    fixes = _fixes(Project(models=[STAGING, MART], spec={"governance": {"policies": POLICIES}}))
    assert fixes[("FLOE301", "reach_at")] == {
        "classification": "pii",
        "pii_type": "email",
        "sensitivity": "high",
    }
    assert fixes[("FLOE106", "full_name")] == {"sensitivity": "high"}
    assert fixes[("FLOE201", "home_phone")] == {
        "classification": "pii",
        "pii_type": "phone",
        "sensitivity": "high",
    }
    # A hash is a decision to take (classify the masked form or waive), not a copy.
    assert not any(column == "hashed" for _, column in fixes)


def test_waived_findings_are_not_fixed() -> None:
    waived = Model(
        MART.name,
        MART.sql,
        columns={"reach_at": {"waive": ["FLOE301"], "reason": "test data only"}},
    )
    fixes = _fixes(Project(models=[STAGING, waived], spec={"governance": {"policies": POLICIES}}))
    assert ("FLOE301", "reach_at") not in fixes
