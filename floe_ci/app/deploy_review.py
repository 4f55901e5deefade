"""Which plan the deploy must match: the one reviewed on the merged pull request.

`--reviewed-plan` names it explicitly (a fingerprint, or the `deploy-plan.json` the review
wrote). On a GitHub `push` event the merged pull request of the pushed commit is asked for it
(its sticky comment's hidden data), and a reviewed plan is then required. A local run without
`--reviewed-plan` compares nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from floe_ci.errors import FloeUsageError
from floe_ci.plan.deploy_plan import FINGERPRINT_PREFIX, PlanSummary


@dataclass(frozen=True)
class ReviewedPlanRef:
    fingerprint: str | None
    summary: PlanSummary | None
    source: str
    required: bool  # a merge in CI: a plan must have been reviewed


def find_reviewed_plan(option: str | None, env: Mapping[str, str]) -> ReviewedPlanRef:
    if option:
        return _from_option(option)
    if env.get("GITHUB_ACTIONS") != "true" or env.get("GITHUB_EVENT_NAME") != "push":
        return ReviewedPlanRef(None, None, "this local run", required=False)
    from floe_ci.integrations.github.event import read_event
    from floe_ci.integrations.github.merged_pull import reviewed_plan_of_commit

    event = read_event(env)
    if not event.repository or not event.head_sha:
        return ReviewedPlanRef(None, None, "a push event without a commit", required=True)
    token = env.get("INPUT_GITHUB-TOKEN") or env.get("GITHUB_TOKEN", "")
    found = reviewed_plan_of_commit(token, env, event.repository, event.head_sha)
    source = f"{found.where} (merged as {event.head_sha[:12]})"
    if found.summary is None:
        return ReviewedPlanRef(None, None, source, required=True)
    return ReviewedPlanRef(found.summary.fingerprint, found.summary, source, required=True)


def _from_option(option: str) -> ReviewedPlanRef:
    if option.startswith(FINGERPRINT_PREFIX):
        return ReviewedPlanRef(option, None, "--reviewed-plan", required=True)
    path = Path(option)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        summary = PlanSummary(
            fingerprint=data["fingerprint"],
            base=data.get("base_ref"),
            head=data.get("head_ref"),
            dbt=list(data.get("dbt", {}).get("build", [])),
            objects={f"{o['kind']}/{o['name']}": o["status"] for o in data.get("objects", [])},
            cube={c["file"]: c["status"] for c in data.get("cube_models", [])},
        )
    except (OSError, json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise FloeUsageError.single(
            option,
            f"--reviewed-plan: not a fingerprint (sha256:...) nor a readable deploy-plan.json "
            f"({type(exc).__name__})",
            hint="pass the fingerprint the pull request's comment shows, or the "
            ".floe/deploy/deploy-plan.json that `floe-ci check --base` wrote",
        ) from None
    return ReviewedPlanRef(summary.fingerprint, summary, str(path), required=True)
