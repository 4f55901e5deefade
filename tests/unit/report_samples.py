"""A CheckResult with every kind of finding, for the renderer tests (pure: no dbt needed)."""

from __future__ import annotations

from floe_ci.governance.result import CheckResult, CheckStats, Finding


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
