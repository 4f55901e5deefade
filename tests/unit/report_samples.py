"""A CheckResult with every kind of finding, and a Plan with every kind of change, for the
renderer tests (pure: no dbt needed)."""

from __future__ import annotations

from floe_ci.governance.result import CheckResult, CheckStats, Finding
from floe_ci.plan.changes import (
    ClassificationChange,
    ColumnChange,
    ConfigChange,
    LineageChange,
    ModelChange,
    Plan,
    PolicyChange,
    PolicyImpact,
)


def finding(rule_id: str, rule_name: str, severity: str = "error", **fields: object) -> Finding:
    return Finding.model_validate(
        {
            "rule_id": rule_id,
            "rule_name": rule_name,
            "severity": severity,
            "message": fields.pop("message", f"{rule_name} happened"),
            "hint": fields.pop("hint", "fix it"),
            **fields,
        }
    )


def sample_result(extra: list[Finding] | None = None, fail_on: str = "error") -> CheckResult:
    findings = [
        finding(
            "FLOE103",
            "restrict-without-role",
            message="policy `financial` restricts production access but names no role",
            file="floe.yaml",
            line=42,
            column_number=9,
        ),
        finding(
            "FLOE301",
            "classification-not-propagated",
            message="`customer_contacts.contact_email` is derived from `stg_customers.email`; "
            "path: stg_customers.email -> customer_contacts.contact_email",
            model="customer_contacts",
            node_id="model.shop.customer_contacts",
            column="contact_email",
            file="models/marts/_marts.yml",
            line=64,
            lineage_path=["stg_customers.email", "customer_contacts.contact_email"],
        ),
        finding(
            "FLOE201",
            "unclassified-pii",
            "warning",
            message="`stg_customers.last_login_ip` looks like personal data | 100%, a:b, c\nend",
            model="stg_customers",
            node_id="model.shop.stg_customers",
            column="last_login_ip",
            file="models/staging/_staging.yml",
            line=41,
        ),
        finding(
            "FLOE301",
            "classification-not-propagated",
            model="customer_contacts",
            node_id="model.shop.customer_contacts",
            column="email_domain",
            file="models/marts/_marts.yml",
            line=67,
            waived=True,
            waiver_reason="the domain alone identifies nobody",
        ),
        *(extra or []),
    ]
    return CheckResult(
        tool_version="0.1.0",
        pipeline="shop",
        config_file="examples/shop/floe.yaml",
        base_path="examples/shop",
        environments=["production", "non_production"],
        fail_on=fail_on,  # type: ignore[arg-type]
        stats=CheckStats(models=6, classified_columns=10, columns_with_lineage=40),
        findings=sorted(findings, key=Finding.sort_key),
    )


def sample_plan(models: int = 1, graph_lines: int = 3) -> Plan:
    """A breaking change (a dropped and a retyped column), `models - 1` added models, a
    floe.yaml setting, a new lineage node and a declassification to review."""
    dropped = ModelChange(
        name="stg_orders",
        node_id="model.shop.stg_orders",
        kind="modified",
        category="breaking",
        reasons=["sql"],
        columns=[
            ColumnChange(
                column="amount",
                kind="removed",
                category="breaking",
                used_by=["orders.amount", "customers.lifetime_value"],
            ),
            ColumnChange(
                column="status",
                kind="type_changed",
                category="breaking",
                before_type="varchar",
                after_type="integer",
            ),
        ],
        downstream_models=["orders", "customers"],
        affected_cubes=["orders"],
    )
    filler = [
        ModelChange(
            name=f"m_{i:05d}",
            node_id=f"model.shop.m_{i:05d}",
            kind="added",
            category="non_breaking",
        )
        for i in range(models - 1)
    ]
    return Plan(
        base_ref="origin/main (abc123)",
        head_ref="HEAD",
        config=[ConfigChange(path="deploy.namespace", kind="modified", before="a", after="b")],
        models=[dropped, *filler],
        lineage=LineageChange(
            nodes_added=["model.shop.m_00000"],
            mermaid="graph LR\n" + "\n".join(f"  n{i} --> n{i + 1}" for i in range(graph_lines)),
        ),
        policy=PolicyImpact(
            classifications=[
                ClassificationChange(
                    model="stg_customers",
                    column="email",
                    before="pii",
                    after=None,
                    direction="removed",
                    needs_review=True,
                    effective_before={"production": "restrict"},
                    effective_after={"production": "none"},
                )
            ]
        ),
    )


def review_plan() -> Plan:
    """sample_plan with the rest a review can hold: a rename, a materialization change, a
    removed lineage edge, a weaker policy, new and resolved findings, a review finding."""
    plan = sample_plan()
    renamed = ModelChange(
        name="orders",
        node_id="model.shop.orders",
        kind="modified",
        category="non_breaking",
        reasons=["sql", "materialization"],
        materialization="table",
        previous_materialization="view",
        columns=[
            ColumnChange(
                column="buyer", kind="renamed", category="non_breaking", renamed_from="customer"
            )
        ],
    )
    return plan.model_copy(
        update={
            "models": [*plan.models, renamed],
            "lineage": plan.lineage.model_copy(
                update={"edges_removed": [("model.shop.stg_orders", "model.shop.orders")]}
            ),
            "policy": plan.policy.model_copy(
                update={
                    "policies": [
                        PolicyChange(
                            classification="pii",
                            environment="production",
                            before="restrict",
                            after="mask",
                            direction="weaker",
                        )
                    ],
                    "new_findings": [finding("FLOE401", "unprotected-consumption")],
                    "resolved_findings": [finding("FLOE101", "unpoliced-classification")],
                }
            ),
            "review_findings": [DECLASSIFIED],
        }
    )


DECLASSIFIED = finding(
    "FLOE501",
    "declassification",
    "warning",
    message="`stg_customers.email` is no longer classified (was `pii`)",
    model="stg_customers",
    node_id="model.shop.stg_customers",
    column="email",
    file="models/staging/_staging.yml",
    line=12,
)
