"""The deploy plan through the action and the local GitHub server (every request and answer
checked against GitHub's OpenAPI description).

On the pull request (the example's `orders` changed, the Cube API raised to 3 replicas) the
comment shows both in its deploy plan, builds only `orders` and its tests, and carries the
fingerprint in its hidden data. On the push that merged it, the deploy asks GitHub for the
merged pull request and its comment: merged as reviewed, the plan matches; merged after a
later push that also changed `customers`, the deploy is refused with the difference."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import copy_example
from tests.e2e.test_action_entry import FLOE_CI, PR_NUMBER, REPO, commit_all, run_action
from tests.github_server import GitHubServer, webhook_example

pytestmark = pytest.mark.e2e

REPLICAS = """    production:
      governance: production
      namespace: data-prod
      values:
        cube:
          api:
            replicas: 3
"""
UNREACHABLE_KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
users: [{name: u, user: {token: kube-token-value-7713}}]
"""


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(root), *args], check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


@pytest.fixture(scope="module")
def repository(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str | Path]:
    """main B0 (deployed once: the warehouse exists), the pull request's H1 (orders and the
    replicas) and a later H2 on the same branch (customers too)."""
    src = tmp_path_factory.mktemp("src")
    project = copy_example(src / "shop")
    (src / ".gitignore").write_text(".floe/\ntarget/\nlogs/\n*.duckdb\n.user.yml\n")
    subprocess.run(["git", "init", "-q", "-b", "main", str(src)], check=True)
    b0 = commit_all(src, "B0")
    (src.parent / "kubeconfig").write_text(UNREACHABLE_KUBECONFIG)
    env = {**os.environ, "KUBECONFIG": str(src.parent / "kubeconfig"), "CUBE_API_SECRET": "s-123"}
    first = subprocess.run(
        [str(FLOE_CI), "deploy"], cwd=project, env=env, capture_output=True, text=True
    )
    assert "✓ dbt build" in first.stdout, first.stdout + first.stderr
    orders = project / "models" / "marts" / "orders.sql"
    orders.write_text(orders.read_text() + "\n-- one row per order\n")
    spec = project / "floe.yaml"
    text = spec.read_text()
    spec.write_text(text[: text.index("    production:\n", text.index("deploy:"))] + REPLICAS)
    h1 = commit_all(src, "H1: orders, 3 Cube API replicas")
    customers = project / "models" / "marts" / "customers.sql"
    customers.write_text(customers.read_text() + "\n-- one row per customer\n")
    h2 = commit_all(src, "H2: customers too")
    _git(src, "checkout", "-q", h1)
    return {"src": src, "b0": b0, "h1": h1, "h2": h2}


def _push_event(tmp: Path, before: str, after: str) -> Path:
    payload = webhook_example("push")
    owner, name = REPO.split("/")
    payload.update(before=before, after=after, ref="refs/heads/main")
    payload["repository"].update(full_name=REPO, name=name)
    payload["repository"]["owner"]["login"] = owner
    path = tmp / "push.json"
    path.write_text(json.dumps(payload))
    return path


def _merged_pull(merge_sha: str, head_sha: str) -> dict[str, object]:
    pull = webhook_example("pull_request", "closed")["pull_request"]
    pull.update(number=PR_NUMBER, merged=True, state="closed", merge_commit_sha=merge_sha)
    pull["merged_at"] = pull.get("merged_at") or "2026-12-01T12:00:00Z"
    pull["head"]["sha"] = head_sha
    return pull


def _deploy_on_push(
    src: Path, server: GitHubServer, tmp: Path, before: str, sha: str
) -> subprocess.CompletedProcess[str]:
    _git(src, "checkout", "-q", sha)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INPUT_", "GITHUB_"))}
    env.update(
        {
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(src),
            "GITHUB_EVENT_NAME": "push",
            "GITHUB_EVENT_PATH": str(_push_event(tmp, before, sha)),
            "GITHUB_REPOSITORY": REPO,
            "GITHUB_SHA": sha,
            "GITHUB_API_URL": server.url,
            "GITHUB_STEP_SUMMARY": str(tmp / "deploy-summary.md"),
            "FLOE_GITHUB_BACKOFF": "0.05",
            "CUBE_API_SECRET": "s-123",
            "KUBECONFIG": str(src.parent / "kubeconfig"),
            "INPUT_COMMAND": "deploy",
            "INPUT_CONFIG": "floe.yaml",
            "INPUT_WORKING-DIRECTORY": "shop",
            "INPUT_GITHUB-TOKEN": server.token,
        }
    )
    return subprocess.run(
        [str(FLOE_CI), "action"], env=env, cwd=src, capture_output=True, text=True, timeout=900
    )


def test_the_comment_shows_the_plan_and_the_merge_deploys_only_that_plan(
    repository: dict[str, str | Path], tmp_path: Path
) -> None:
    src = Path(repository["src"])
    b0, h1, h2 = str(repository["b0"]), str(repository["h1"]), str(repository["h2"])
    with GitHubServer(token="ghs_" + "deployPlanToken" * 2) as server:
        review = run_action(src, server, tmp_path, "801", base_sha=b0, head_sha=h1, base_ref=b0)
        assert "Traceback" not in review.stderr, review.stderr
        assert review.code in (0, 1), review.stdout + review.stderr
        (comment,) = server.comments_on(REPO, PR_NUMBER)
        body = comment["body"]
        plan = json.loads((src / "shop/.floe/deploy/deploy-plan.json").read_text())

        server.add_pull(REPO, _merged_pull(h1, h1))
        as_reviewed = _deploy_on_push(src, server, tmp_path, b0, h1)
        server.pulls.clear()
        server.add_pull(REPO, _merged_pull(h2, h2))
        later_push = _deploy_on_push(src, server, tmp_path, b0, h2)
    assert server.violations == [], "\n".join(server.violations)

    # The pull request's comment: both changes, only `orders` built, the fingerprint hidden.
    assert "Deploy plan" in body
    assert "`Deployment/shop-cube-api`" in body and "`spec.replicas`: `2` → `3`" in body
    models = [uid for uid in plan["dbt"]["build"] if uid.startswith("model.")]
    assert models == ["model.shop.orders"]
    assert "`model.shop.orders`: code changed" in body
    assert "`model.shop.customers`" not in body
    hidden = next(line for line in body.splitlines() if "floe-ci:deploy-plan" in line)
    assert (
        json.loads(hidden.split(" ", 2)[2].rsplit(" -->", 1)[0])["fingerprint"]
        == (plan["fingerprint"])
    )

    # Merged as reviewed: the plan matches and dbt builds just that.
    out = as_reviewed.stdout
    assert f"as reviewed in pull request #{PR_NUMBER}" in out, out + as_reviewed.stderr
    assert "✓ dbt build" in out and "built exactly the plan's nodes: orders" in out
    assert "✗ helm upgrade --install" in out  # then the real helm finds no cluster
    # A later push changed `customers`: refused, with the difference, and nothing built.
    refused = later_push.stdout
    assert later_push.returncode == 1
    assert "✗ plan" in refused and "differs from the reviewed plan" in refused
    assert "dbt now also builds: customers" in refused
    assert "dbt build" not in refused.split("✗ plan", 1)[1]
