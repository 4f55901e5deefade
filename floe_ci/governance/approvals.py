"""Exceptions approved in the pull request: `governance.approvers` and their reviews.

A declassification (FLOE501), a weaker policy (FLOE503) and a waiver the pull request adds
are exceptions a data owner must accept. With `governance.approvers` set, each is reported
`needs approval` (an error) until one of the approvers has approved the pull request: the
latest review of each approver counts (APPROVED, CHANGES_REQUESTED or DISMISSED; a comment
changes nothing, as on GitHub), so a dismissed or superseded approval does not. Once
approved, the finding is waived with the approver named, so every report says who approved
what. Without approvers nothing changes. Pure: reviews and findings in, findings out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from floe_ci.governance.result import Finding
from floe_ci.governance.rules.base import RuleContext

APPROVAL_RULES = ("FLOE501", "FLOE503")
_DECIDING_STATES = ("APPROVED", "CHANGES_REQUESTED", "DISMISSED")


@dataclass(frozen=True)
class Review:
    """One review of the pull request, as GitHub's reviews API lists it."""

    login: str
    state: str  # APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED, PENDING
    submitted_at: str  # ISO 8601; "" for a pending review
    review_id: int


@dataclass(frozen=True)
class Approval:
    """Who of the approvers approved: entry (`alice`, `@acme/owners`) -> logins."""

    approved: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def granted(self) -> bool:
        return any(self.approved.values())

    def describe(self) -> str:
        """`@alice`, `@bob (@acme/owners)`: who accepted the exceptions."""
        named: list[str] = []
        for entry, logins in self.approved.items():
            for login in logins:
                text = f"@{login} ({_at(entry)})" if is_team(entry) else f"@{login}"
                if text not in named:
                    named.append(text)
        return ", ".join(named)


def is_team(entry: str) -> bool:
    return "/" in entry


def _at(entry: str) -> str:
    return entry if entry.startswith("@") else f"@{entry}"


def latest_decisions(reviews: Iterable[Review]) -> dict[str, str]:
    """Login (lower case) -> the state of their latest deciding review."""
    ordered = sorted(
        (r for r in reviews if r.state in _DECIDING_STATES and r.submitted_at),
        key=lambda r: (r.submitted_at, r.review_id),
    )
    return {review.login.lower(): review.state for review in ordered}


def approval_from_reviews(
    approvers: Sequence[str],
    reviews: Iterable[Review],
    team_members: Mapping[str, Iterable[str]] | None = None,
) -> Approval:
    """Which approvers approved, by their latest reviews; a team approves through any
    member (`team_members`: entry -> logins, as GitHub lists the team's members)."""
    decided = latest_decisions(reviews)
    approving = {login for login, state in decided.items() if state == "APPROVED"}
    members = team_members or {}
    approved: dict[str, tuple[str, ...]] = {}
    for entry in approvers:
        if is_team(entry):
            logins = [m for m in members.get(entry, ()) if m.lower() in approving]
        else:
            login = entry.lstrip("@")
            logins = [login] if login.lower() in approving else []
        approved[entry] = tuple(sorted(set(logins), key=str.lower))
    return Approval(approved)


def new_waivers(base: RuleContext, head: RuleContext) -> set[tuple[str, str]]:
    """(node_id, lower-case column) of head columns that waive a rule the base did not."""
    result: set[tuple[str, str]] = set()
    for relations, before in ((head.models, base.models), (head.inputs, base.inputs)):
        for node_id, relation in relations.items():
            earlier = before.get(node_id)
            for key, column in relation.columns.items():
                if not column.waive:
                    continue
                old = earlier.columns.get(key) if earlier is not None else None
                if old is None or not column.waive <= old.waive:
                    result.add((node_id, key))
    return result


def apply_approvals(
    findings: Iterable[Finding],
    approvers: Sequence[str],
    approval: Approval | None,
    added_waivers: set[tuple[str, str]],
) -> list[Finding]:
    """The findings with the exceptions decided: waived as approved, or `needs approval`."""
    if not approvers:
        return list(findings)
    who = approval.describe() if approval is not None and approval.granted else ""
    listed = ", ".join(_at(a) for a in approvers)
    result = []
    for finding in findings:
        exception = not finding.waived and finding.rule_id in APPROVAL_RULES
        waiver = finding.waived and (finding.node_id, (finding.column or "").lower()) in (
            added_waivers
        )
        if not (exception or waiver):
            result.append(finding)
            continue
        if who:
            reason = (
                f"approved by {who} in the pull request"
                if exception
                else f"{finding.waiver_reason} (new waiver, approved by {who})"
            )
            result.append(finding.model_copy(update={"waived": True, "waiver_reason": reason}))
            continue
        what = "" if exception else f"new waiver ({finding.waiver_reason}): "
        result.append(
            finding.model_copy(
                update={
                    "waived": False,
                    "waiver_reason": None,
                    "severity": "error",
                    "message": f"needs approval: {what}{finding.message}",
                    "hint": f"one of {listed} must approve the pull request (their latest "
                    f"review counts; a dismissed one does not); or: {finding.hint}",
                }
            )
        )
    return result
