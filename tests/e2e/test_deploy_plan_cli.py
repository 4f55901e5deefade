"""The plan reviewed is the plan applied, through the installed command on a git repository:
a first deploy builds everything; after a change to one model and the Cube API's replicas,
`check --base` plans that model and its downstream only; a deploy against another plan is
refused with the difference; the reviewed one builds exactly the planned nodes (dbt's own
run_results.json says which ran), writes the Cube models, and calls the real helm with the
rollback flag it supports, up to the missing cluster; the job summary says what was applied
and rolled back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import copy_example
from tests.git_support import git

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
UNREACHABLE_KUBECONFIG = """apiVersion: v1
kind: Config
clusters:
  - name: prod
    cluster: {server: "https://127.0.0.1:1"}
contexts:
  - name: prod
    context: {cluster: prod, user: deployer}
current-context: prod
users:
  - name: deployer
    user: {token: kube-token-value-9931}
"""
REPLICAS = """    production:
      governance: production
      namespace: data-prod
      values:
        cube:
          api:
            replicas: 3
"""


def floe_ci(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "floe-ci"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "DO_NOT_TRACK": "1",
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "CUBE_API_SECRET": "cube-secret-value-5512",
            "KUBECONFIG": str(cwd.parent / "kubeconfig"),
            **env,
        },
        timeout=900,
    )


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """main: the example, deployed once (dbt built everything, helm found no cluster); the
    head commit changes `orders` and raises the Cube API's replicas."""
    top = tmp_path_factory.mktemp("deploy-plan")
    (top / "kubeconfig").write_text(UNREACHABLE_KUBECONFIG)
    git(top, "init", "-q", "-b", "main")
    project = copy_example(top / "shop")
    (top / ".gitignore").write_text(".floe/\ntarget/\nlogs/\n*.duckdb\n.user.yml\n")
    git(top, "add", "-A")
    git(top, "commit", "-qm", "base")
    first = floe_ci("deploy", cwd=project)
    assert first.returncode == 1, first.stdout + first.stderr
    assert "every node" in first.stdout and "✓ dbt build" in first.stdout
    orders = project / "models" / "marts" / "orders.sql"
    orders.write_text(orders.read_text() + "\n-- counts every order once\n")
    spec = project / "floe.yaml"
    text = spec.read_text()
    start = text.index("    production:\n", text.index("deploy:"))
    spec.write_text(text[:start] + REPLICAS)
    git(top, "commit", "-qam", "orders: comment; Cube API: 3 replicas")
    return project


@pytest.fixture(scope="module")
def reviewed(repo: Path) -> dict[str, object]:
    done = floe_ci("check", "--base", "HEAD~1", "--format", "markdown", cwd=repo)
    assert done.returncode in (0, 1), done.stdout + done.stderr
    plan = json.loads((repo / ".floe/deploy/deploy-plan.json").read_text())
    plan["comment"] = done.stdout
    return plan


def test_the_review_plans_the_changed_model_its_downstream_and_the_replicas(
    reviewed: dict[str, object],
) -> None:
    dbt = reviewed["dbt"]
    assert isinstance(dbt, dict)
    models = [uid for uid in dbt["build"] if uid.startswith("model.")]
    assert models == ["model.shop.orders"]  # nothing is downstream of orders in the example
    assert all(uid.startswith(("model.shop.orders", "test.shop.")) for uid in dbt["build"])
    assert "model.shop.customers" in dbt["not_built"]
    objects = {f"{o['kind']}/{o['name']}": o for o in reviewed["objects"]}  # type: ignore[attr-defined]
    api = objects["Deployment/shop-cube-api"]
    assert {"path": "spec.replicas", "before": 2, "after": 3} in api["fields"]
    comment = str(reviewed["comment"])
    assert "Deploy plan" in comment and "`spec.replicas`: `2` → `3`" in comment
    assert "<!-- floe-ci:deploy-plan {" in comment and str(reviewed["fingerprint"]) in comment


def test_a_deploy_of_another_plan_is_refused_with_the_difference(
    repo: Path, reviewed: dict[str, object]
) -> None:
    other = repo.parent / "other-plan.json"
    changed = dict(reviewed, fingerprint="sha256:" + "0" * 64, base_ref="an-older-base")
    changed["objects"] = []
    other.write_text(json.dumps(changed))
    done = floe_ci("deploy", "--reviewed-plan", str(other), cwd=repo)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "✗ plan" in done.stdout and "differs from the reviewed plan" in done.stdout
    assert "base: reviewed against an-older-base" in done.stdout
    assert "Deployment/shop-cube-api: reviewed unchanged, now changed" in done.stdout
    assert "dbt build" not in done.stdout.split("✗ plan")[1]  # nothing ran after the refusal


def test_the_reviewed_plan_builds_exactly_its_nodes_then_helm_rolls_back(
    repo: Path, reviewed: dict[str, object], tmp_path: Path
) -> None:
    summary = tmp_path / "summary.md"
    run_results = repo / "target" / "run_results.json"
    run_results.unlink(missing_ok=True)
    done = floe_ci(
        "deploy",
        "--reviewed-plan",
        str(repo / ".floe/deploy/deploy-plan.json"),
        cwd=repo,
        GITHUB_STEP_SUMMARY=str(summary),
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "as reviewed in" in done.stdout
    ran = sorted(r["unique_id"] for r in json.loads(run_results.read_text())["results"])
    dbt = reviewed["dbt"]
    assert isinstance(dbt, dict)
    assert ran == dbt["build"]  # dbt's own record: exactly the planned nodes
    assert "✓ cube sync" in done.stdout
    # helm failed after Cube: the previous release's models are back in place.
    base = git(repo, "rev-parse", "HEAD~1")[:12]
    assert f"restored the Cube models of {base}" in done.stdout
    assert sorted(p.name for p in (repo / ".floe/cube/model").iterdir()) == [
        "customers.yml",
        "orders.yml",
    ]
    helm = subprocess.run(
        [str(_helm()), "version", "--template", "{{.Version}}"], capture_output=True, text=True
    ).stdout
    flag = "--rollback-on-failure" if helm.startswith("v4") else "--atomic"
    upgrade = next(line for line in done.stdout.splitlines() if "helm upgrade --install" in line)
    assert upgrade.lstrip().startswith("✗") and flag in upgrade
    assert "127.0.0.1:1" in done.stdout  # the real binary got as far as the cluster
    text = summary.read_text()
    assert "**Applied**" in text and "dbt:" in text and "Cube:" in text
    assert "**Rolled back**" in text and flag in text
    assert "kube-token-value" not in done.stdout + done.stderr + text


def _helm() -> Path:
    from floe_ci.integrations.helm.binary import require_helm

    return require_helm()
