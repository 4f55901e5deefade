"""The deploy plan's core: which dbt nodes build, how objects diff, the fingerprint."""

from __future__ import annotations

from typing import Any

from floe_ci.plan.deploy_plan import (
    SECRET_SHOWN,
    DeployInputs,
    PlanSummary,
    build_deploy_plan,
    dbt_build,
    diff_objects,
    plan_differences,
    plan_fingerprint,
)
from floe_ci.report.deploy_plan_section import (
    hidden_data,
    read_hidden_data,
    render_deploy_plan_markdown,
)


def node(uid: str, checksum: str = "a", parents: tuple[str, ...] = (), **extra: Any) -> Any:
    kind, _, name = uid.split(".")
    return {
        "unique_id": uid,
        "resource_type": kind,
        "name": name,
        "fqn": ["shop", name],
        "checksum": {"name": "sha256", "checksum": checksum},
        "depends_on": {"nodes": list(parents)},
        "config": {"materialized": "table"},
        "columns": extra.pop("columns", {}),
        **extra,
    }


def manifest(*nodes: dict[str, Any]) -> dict[str, Any]:
    children: dict[str, list[str]] = {n["unique_id"]: [] for n in nodes}
    for n in nodes:
        for parent in n["depends_on"]["nodes"]:
            children.setdefault(parent, []).append(n["unique_id"])
    return {"nodes": {n["unique_id"]: n for n in nodes}, "child_map": children}


STG = "model.shop.stg_orders"
ORDERS = "model.shop.orders"
CUSTOMERS = "model.shop.customers"
TEST_ORDERS = "test.shop.not_null_orders_id"
TEST_CUSTOMERS = "test.shop.not_null_customers_id"


def shop(orders_checksum: str = "a", email_meta: dict[str, Any] | None = None) -> dict[str, Any]:
    columns = {"email": {"name": "email", "meta": email_meta or {}}}
    return manifest(
        node(STG),
        node(ORDERS, orders_checksum, (STG,)),
        node(CUSTOMERS, "a", (STG,), columns=columns),
        node("model.shop.orders_daily", "a", (ORDERS,)),
        node(TEST_ORDERS, "t", (ORDERS,)),
        node(TEST_CUSTOMERS, "t", (CUSTOMERS,)),
    )


def test_a_changed_model_builds_with_its_downstream_and_their_tests_only() -> None:
    planned = dbt_build(shop(), shop(orders_checksum="b"))
    assert planned.build == sorted([ORDERS, "model.shop.orders_daily", TEST_ORDERS])
    assert planned.reasons[ORDERS] == "code changed"
    assert planned.reasons["model.shop.orders_daily"] == "downstream of orders"
    assert STG in planned.not_built and CUSTOMERS in planned.not_built
    assert planned.selectors(shop(orders_checksum="b")) == [
        "fqn:shop.orders",
        "fqn:shop.orders_daily",
    ]


def test_a_meta_only_classification_change_builds_the_model() -> None:
    """dbt's state:modified misses it; the plan does not."""
    planned = dbt_build(shop(email_meta={"floe": {"pii": True}}), shop(email_meta={}))
    assert planned.build == [CUSTOMERS, TEST_CUSTOMERS]
    assert "meta" in planned.reasons[CUSTOMERS]


def test_no_base_builds_everything() -> None:
    planned = dbt_build(None, shop())
    assert planned.full and len(planned.build) == 6 and not planned.not_built


def test_objects_diff_by_field_with_secrets_only_as_references() -> None:
    base = [
        {"kind": "Deployment", "metadata": {"name": "api"}, "spec": {"replicas": 2}},
        {"kind": "Secret", "metadata": {"name": "s"}, "data": {"k": "b2xk"}},
        {"kind": "Service", "metadata": {"name": "gone"}},
    ]
    head = [
        {"kind": "Deployment", "metadata": {"name": "api"}, "spec": {"replicas": 3}},
        {"kind": "Secret", "metadata": {"name": "s"}, "data": {"k": "bmV3"}},
        {"kind": "ConfigMap", "metadata": {"name": "new"}, "data": {"a": "b"}},
    ]
    changes = {c.label: c for c in diff_objects(base, head)}
    assert changes["ConfigMap/new"].status == "added"
    assert changes["Service/gone"].status == "removed"
    replicas = changes["Deployment/api"].fields
    assert [(f.path, f.before, f.after) for f in replicas] == [("spec.replicas", 2, 3)]
    secret = changes["Secret/s"].fields[0]
    assert secret.before == SECRET_SHOWN and secret.after == SECRET_SHOWN
    assert "bmV3" not in render_deploy_plan_markdown(
        build_deploy_plan(_inputs("b", base), _inputs("h", head), release="r", namespace="n")
    )


def test_env_lists_diff_by_name_so_a_reorder_is_no_change() -> None:
    env = [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]
    base = [{"kind": "Deployment", "metadata": {"name": "d"}, "spec": {"env": env}}]
    head = [{"kind": "Deployment", "metadata": {"name": "d"}, "spec": {"env": env[::-1]}}]
    assert diff_objects(base, head) == []


def _inputs(ref: str, docs: list[dict[str, Any]], digest: str = "d") -> DeployInputs:
    return DeployInputs(ref=ref, artifacts_digest=digest, manifest=shop(), documents=docs)


def test_the_fingerprint_covers_what_is_applied_and_not_the_order_of_documents() -> None:
    docs = [{"kind": "A", "metadata": {"name": "a"}}, {"kind": "B", "metadata": {"name": "b"}}]
    same = plan_fingerprint("d", ["x"], docs, {"m.yml": "1"})
    assert same == plan_fingerprint("d", ["x"], docs[::-1], {"m.yml": "1"})
    assert same != plan_fingerprint("d", ["x", "y"], docs, {"m.yml": "1"})
    assert same != plan_fingerprint("e", ["x"], docs, {"m.yml": "1"})
    assert same != plan_fingerprint("d", ["x"], docs, {"m.yml": "2"})
    assert same != plan_fingerprint("d", ["x"], docs[:1], {"m.yml": "1"})


def test_hidden_data_round_trips_and_differences_name_what_moved() -> None:
    base = [{"kind": "Deployment", "metadata": {"name": "api"}, "spec": {"replicas": 2}}]
    head = [{"kind": "Deployment", "metadata": {"name": "api"}, "spec": {"replicas": 3}}]
    reviewed = build_deploy_plan(_inputs("b", base), _inputs("h", head), release="r", namespace="n")
    comment = f"<!-- floe-ci:sticky -->\ntext\n{hidden_data(reviewed)}\n"
    summary = read_hidden_data(comment)
    assert isinstance(summary, PlanSummary) and summary.fingerprint == reviewed.fingerprint
    assert read_hidden_data("no plan here") is None
    moved = build_deploy_plan(_inputs("b2", head), _inputs("h", head), release="r", namespace="n")
    lines = plan_differences(summary, moved)
    assert any("base: reviewed against b, now b2" in line for line in lines)
    assert any(line.startswith("Deployment/api: reviewed changed, now unchanged") for line in lines)
