"""How big a Plan is, in a few counted phrases: the PR comment's and the console's headline.

The phrases are data (text, and whether a reviewer must look), so each medium decorates
them its own way: bold in Markdown, a colour on a terminal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from floe_ci.plan.changes import Plan

NO_CHANGE = "No change to models, columns, classifications or floe.yaml"


class SummaryPart(NamedTuple):
    text: str
    needs_review: bool = False


def summary_parts(plan: Plan) -> list[SummaryPart]:
    """`2 models modified`, `1 breaking`, ...; empty when the plan is empty."""
    if plan.is_empty():
        return []
    counts = {
        kind: sum(m.kind == kind for m in plan.models) for kind in ("added", "removed", "modified")
    }
    parts = [SummaryPart(f"{_count(n, 'model')} {kind}") for kind, n in counts.items() if n]
    if plan.breaking():
        parts.append(SummaryPart(f"{len(plan.breaking())} breaking", needs_review=True))
    declassified = [c for c in plan.policy.classifications if c.needs_review]
    if declassified:
        parts.append(
            SummaryPart(
                f"{_count(len(declassified), 'declassification')} to review", needs_review=True
            )
        )
    if plan.config:
        parts.append(SummaryPart(f"{_count(len(plan.config), 'floe.yaml setting')} changed"))
    # Not empty, yet no model and no setting changed: classifications or policies did.
    return parts or [SummaryPart("classification changes only")]


def _count(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"
