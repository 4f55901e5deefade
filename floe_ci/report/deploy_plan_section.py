"""The deploy plan as the PR comment's section, console lines, and the comment's hidden data.

The hidden data (`<!-- floe-ci:deploy-plan {...} -->`) carries the fingerprint the deploy
compares at merge; it is a line of its own, outside every section, so no size cut drops it.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import ValidationError

from floe_ci.plan.deploy_plan import DeployPlan, FieldChange, PlanSummary
from floe_ci.report.pr_comment import CommentSection

HIDDEN_PREFIX = "<!-- floe-ci:deploy-plan "
_HIDDEN = re.compile(r"<!-- floe-ci:deploy-plan (\{.*\}) -->")
MAX_FIELDS = 12  # per object, in the comment; the JSON report has them all
MAX_NODES = 40


def hidden_data(plan: DeployPlan) -> str:
    # `--` cannot occur in JSON of these values except inside strings; escape it anyway so
    # the HTML comment cannot end early.
    text = plan.summary().model_dump_json().replace("--", "-\\u002d")
    return HIDDEN_PREFIX + text + " -->"


def read_hidden_data(comment: str) -> PlanSummary | None:
    """The deploy plan's hidden data in a comment's body, or None."""
    match = _HIDDEN.search(comment)
    if not match:
        return None
    try:
        return PlanSummary.model_validate(json.loads(match.group(1)))
    except (json.JSONDecodeError, ValidationError):
        return None


def deploy_plan_title(plan: DeployPlan) -> str:
    if plan.empty:
        return "Deploy plan: nothing changes"
    parts = []
    if plan.dbt.build:
        parts.append(f"{len(plan.dbt.build)} dbt node(s)")
    if plan.objects:
        parts.append(f"{len(plan.objects)} Kubernetes object(s)")
    if plan.cube_models:
        parts.append(f"{len(plan.cube_models)} Cube model(s)")
    return "Deploy plan: " + ", ".join(parts)


def deploy_plan_section(plan: DeployPlan) -> CommentSection:
    return CommentSection("deploy-plan", deploy_plan_title(plan), render_deploy_plan_markdown(plan))


def render_deploy_plan_markdown(plan: DeployPlan) -> str:
    lines = [
        f"On merge, release `{plan.release}` in namespace `{plan.namespace}` gets what follows "
        f"(plan `{plan.fingerprint[:19]}`; the deploy refuses any other)."
    ]
    lines += ["", "**dbt**"]
    if plan.dbt.full:
        lines.append(f"- every node builds ({len(plan.dbt.build)}): no base to compare")
    elif plan.dbt.build:
        lines.append(f"- builds {len(plan.dbt.build)}, not {len(plan.dbt.not_built)}:")
        for uid in plan.dbt.build[:MAX_NODES]:
            lines.append(f"  - `{uid}`: {plan.dbt.reasons.get(uid, '')}")
        if len(plan.dbt.build) > MAX_NODES:
            lines.append(f"  - … {len(plan.dbt.build) - MAX_NODES} more")
    else:
        lines.append("- nothing builds")
    lines += ["", "**Cube models**"]
    lines += [f"- `{c.file}`: {c.status}" for c in plan.cube_models] or ["- unchanged"]
    lines += ["", "**Kubernetes objects**"]
    bookkeeping_only = []
    for obj in plan.objects:
        fields = [f for f in obj.fields if not _bookkeeping(f.path)]
        if obj.status == "changed" and not fields:
            bookkeeping_only.append(f"`{obj.label}`")
            continue
        lines.append(f"- {obj.status} `{obj.label}`")
        for change in fields[:MAX_FIELDS]:
            lines.append(f"  - `{change.path}`: {_change(change)}")
        if len(fields) > MAX_FIELDS:
            lines.append(f"  - … {len(fields) - MAX_FIELDS} more field(s)")
        if len(fields) < len(obj.fields):
            lines.append("  - and its floe.dev fingerprint annotations / config checksum")
    if bookkeeping_only:
        lines.append(
            "- only the floe.dev fingerprint annotations / config checksum change: "
            + ", ".join(bookkeeping_only)
        )
    if not plan.objects:
        lines.append("- unchanged")
    lines += ["", "**Helm values**"]
    lines += [f"- `{v.path}`: {_change(v)}" for v in plan.values[:MAX_NODES]] or ["- unchanged"]
    return "\n".join(lines)


def render_deploy_plan_lines(plan: DeployPlan) -> list[str]:
    """For the console (`check --base`): one line per part, then the nodes and objects."""
    lines = [f"{deploy_plan_title(plan)} ({plan.fingerprint[:19]})"]
    if plan.dbt.full:
        lines.append(f"  dbt build  every node ({len(plan.dbt.build)}): no base to compare")
    else:
        for uid in plan.dbt.build:
            lines.append(f"  dbt build  {uid}  ({plan.dbt.reasons.get(uid, '')})")
    for cube in plan.cube_models:
        lines.append(f"  cube       {cube.file}  {cube.status}")
    if plan.base_ref is None:
        kinds: dict[str, int] = {}
        for obj in plan.objects:
            kinds[obj.kind] = kinds.get(obj.kind, 0) + 1
        shown = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
        return [*lines, f"  added      {shown} (first deploy)"] if shown else lines
    for obj in plan.objects:
        fields = [f for f in obj.fields if not _bookkeeping(f.path)]
        extra = "" if len(fields) == len(obj.fields) else "  (+ fingerprint annotations)"
        lines.append(f"  {obj.status:<10} {obj.label}{extra}")
        for change in fields[:MAX_FIELDS]:
            lines.append(f"      {change.path}: {_change(change)}")
    return lines


_BOOKKEEPING = ("annotations.floe.dev/", "annotations.checksum/config")


def _bookkeeping(path: str) -> bool:
    """The fingerprint annotations floe-ci writes on every object (they move with every
    change of floe.yaml or the manifest): listed once, not object by object."""
    return any(marker in path for marker in _BOOKKEEPING)


def _change(change: FieldChange) -> str:
    if change.before is None:
        return f"+ {_value(change.after)}"
    if change.after is None:
        return f"- {_value(change.before)}"
    return f"{_value(change.before)} → {_value(change.after)}"


def _value(value: Any) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, str) else value
    return "`" + text.replace("`", "'")[:200] + "`" if text else '`""`'
