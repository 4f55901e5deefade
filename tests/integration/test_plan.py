"""The base-vs-head Plan on two real, dbt-parsed revisions of examples/shop."""

from __future__ import annotations

from pathlib import Path

import pytest

from floe_ci.app.review import snapshot_of
from floe_ci.plan.build import build_plan
from floe_ci.plan.changes import Plan
from floe_ci.plan.snapshot import PipelineSnapshot
from tests.conftest import copy_example

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> PipelineSnapshot:
    project = copy_example(tmp_path_factory.mktemp("base") / "shop")
    return snapshot_of(project / "floe.yaml", "base")


def head_with(tmp_path: Path, edits: dict[str, tuple[str, str]]) -> PipelineSnapshot:
    project = copy_example(tmp_path / "shop")
    for relative, (old, new) in edits.items():
        path = project / relative
        text = path.read_text()
        assert old in text, f"{relative} does not contain {old!r}"
        path.write_text(text.replace(old, new))
    return snapshot_of(project / "floe.yaml", "head")


def test_identical_revisions_give_an_empty_plan(base: PipelineSnapshot, tmp_path: Path) -> None:
    plan = build_plan(base, head_with(tmp_path, {}))
    assert plan.is_empty()
    assert plan.review_findings == []
    assert plan.lineage.mermaid == ""


def test_declassification_is_flagged_for_review(base: PipelineSnapshot, tmp_path: Path) -> None:
    head = head_with(
        tmp_path,
        {
            "models/marts/_marts.yml": (
                "        meta:\n          floe: {classification: pii, pii_type: name, "
                "sensitivity: medium}\n",
                "",
            )
        },
    )
    plan = build_plan(base, head)
    [change] = plan.policy.classifications
    assert (change.model, change.column, change.before, change.after) == (
        "customers",
        "full_name",
        "pii",
        None,
    )
    assert change.direction == "removed" and change.needs_review
    assert change.effective_before == {"production": "restrict", "non_production": "mask"}
    assert change.effective_after == {"production": "none", "non_production": "none"}
    [finding] = plan.review_findings
    assert finding.rule_name == "declassification" and finding.severity == "warning"
    assert finding.file == "models/marts/_marts.yml" and finding.line is not None
    # A meta-only change is no model change: dbt's state:modified would not see it either.
    assert plan.models == []


def test_dropped_column_used_downstream_and_by_a_cube_is_breaking(
    base: PipelineSnapshot, tmp_path: Path
) -> None:
    head = head_with(
        tmp_path,
        {
            "models/staging/stg_customers.sql": ("    lower(email) as email,\n", ""),
            "models/staging/_staging.yml": (
                "      - name: email\n        data_type: varchar\n        meta:\n"
                "          floe: {classification: pii, pii_type: email, sensitivity: high}\n",
                "",
            ),
        },
    )
    plan = build_plan(base, head)
    [change] = [m for m in plan.models if m.name == "stg_customers"]
    assert change.kind == "modified" and change.category == "breaking"
    [column] = change.columns
    assert (column.column, column.kind) == ("email", "removed")
    assert column.used_by == ["customers.email"]
    assert "customers" in change.downstream_models
    assert change.affected_cubes == ["customers", "orders"]
    [finding] = [f for f in plan.review_findings if f.rule_name == "breaking-change"]
    assert "`email` removed" in finding.message
    assert "`customers`" in finding.message and "Cube cubes" in finding.message
    assert "stg_customers" in plan.lineage.mermaid


def test_rename_is_recognised_through_lineage(base: PipelineSnapshot, tmp_path: Path) -> None:
    head = head_with(
        tmp_path,
        {"models/marts/orders.sql": ("    c.country\n", "    c.country as customer_country\n")},
    )
    plan = build_plan(base, head)
    [change] = [m for m in plan.models if m.name == "orders"]
    renamed = [c for c in change.columns if c.kind == "renamed"]
    assert [(c.renamed_from, c.column) for c in renamed] == [("country", "customer_country")]
    assert "sql" in change.reasons


def test_config_and_policy_changes(base: PipelineSnapshot, tmp_path: Path) -> None:
    head = head_with(
        tmp_path,
        {
            "floe.yaml": (
                "        action: restrict\n        requires_role: [pii_reader]\n",
                "        action: mask\n",
            )
        },
    )
    plan: Plan = build_plan(base, head)
    paths = {c.path: c for c in plan.config}
    assert paths["governance.policies.pii.production.action"].before == "restrict"
    assert paths["governance.policies.pii.production.action"].after == "mask"
    [policy] = plan.policy.policies
    assert (policy.classification, policy.environment, policy.direction) == (
        "pii",
        "production",
        "weaker",
    )
    assert {f.rule_name for f in plan.review_findings} == {"weaker-policy"}
    weaker = plan.review_findings[0]
    assert weaker.file == "floe.yaml" and weaker.line is not None


def test_added_model_and_lineage_edges(base: PipelineSnapshot, tmp_path: Path) -> None:
    project_edit = {
        "models/marts/orders.sql": (
            "from {{ ref('stg_orders') }} as o",
            "from {{ ref('stg_orders') }} as o",
        )
    }
    head = head_with(tmp_path, project_edit)
    (tmp_path / "shop" / "models" / "marts" / "daily_revenue.sql").write_text(
        "select ordered_on, sum(amount) as revenue from {{ ref('orders') }} group by 1\n"
    )
    head = snapshot_of(tmp_path / "shop" / "floe.yaml", "head")
    plan = build_plan(base, head)
    [added] = [m for m in plan.models if m.kind == "added"]
    assert added.name == "daily_revenue" and added.category == "non_breaking"
    assert ("model.shop.orders", "model.shop.daily_revenue") in plan.lineage.edges_added
    assert "model.shop.daily_revenue" in plan.lineage.nodes_added
    assert "daily_revenue (added)" in plan.lineage.mermaid
