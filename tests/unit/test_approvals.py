"""Exceptions approved in the pull request: latest reviews, teams, waivers, findings."""

from __future__ import annotations

from dataclasses import replace

from floe_ci.governance.approvals import (
    Approval,
    Review,
    apply_approvals,
    approval_from_reviews,
    new_waivers,
)
from floe_ci.governance.result import Finding
from floe_ci.testing import Model, Project


def _review(login: str, state: str, at: str, review_id: int = 1) -> Review:
    return Review(login, state, f"2026-01-02T{at}:00Z", review_id)


def test_the_latest_deciding_review_of_each_approver_counts() -> None:
    reviews = [
        _review("alice", "APPROVED", "10:00"),
        _review("alice", "COMMENTED", "11:00"),  # a comment changes nothing
        _review("bob", "APPROVED", "10:00"),
        _review("bob", "DISMISSED", "12:00"),  # dismissed: no longer counts
        _review("eve", "APPROVED", "09:00"),  # not an approver
    ]
    approval = approval_from_reviews(["@alice", "bob"], reviews)
    assert approval.approved == {"@alice": ("alice",), "bob": ()}
    assert approval.granted and approval.describe() == "@alice"
    changed = approval_from_reviews(
        ["alice"], [*reviews, _review("alice", "CHANGES_REQUESTED", "13:00")]
    )
    assert not changed.granted


def test_a_team_approves_through_a_member() -> None:
    reviews = [_review("carol", "APPROVED", "10:00"), _review("mallory", "APPROVED", "10:00")]
    approval = approval_from_reviews(["@acme/owners"], reviews, {"@acme/owners": ["carol", "dave"]})
    assert approval.describe() == "@carol (@acme/owners)"
    assert not approval_from_reviews(["@acme/owners"], reviews, {}).granted


def _finding(rule: str, waived: bool = False, reason: str | None = None) -> Finding:
    return Finding(
        rule_id=rule,
        rule_name="declassification" if rule == "FLOE501" else "x",
        severity="warning",
        message="`m.c` is no longer classified",
        hint="restore it",
        node_id="model.shop.m",
        column="c",
        waived=waived,
        waiver_reason=reason,
    )


def test_findings_need_approval_until_granted_then_name_the_approver() -> None:
    findings = [
        _finding("FLOE501"),
        _finding("FLOE301", waived=True, reason="masked"),
        _finding("FLOE201"),
    ]
    pending = apply_approvals(findings, ["alice"], None, {("model.shop.m", "c")})
    assert [(f.severity, f.waived) for f in pending] == [
        ("error", False),
        ("error", False),
        ("warning", False),
    ]
    assert pending[0].message.startswith("needs approval: `m.c`")
    assert pending[1].message.startswith("needs approval: new waiver (masked): ")
    assert "@alice must approve" in pending[0].hint
    granted = apply_approvals(
        findings, ["alice"], Approval({"alice": ("alice",)}), {("model.shop.m", "c")}
    )
    assert [f.waiver_reason for f in granted[:2]] == [
        "approved by @alice in the pull request",
        "masked (new waiver, approved by @alice)",
    ]
    assert apply_approvals(findings, [], None, set()) == findings  # no approvers: as today


def test_a_waiver_is_new_when_the_base_did_not_waive_that_rule() -> None:
    waiver = {"classification": "pii", "waive": ["FLOE301"], "reason": "ok"}
    base = Project(models=[Model("m", "select 1 as c", columns={"c": {"classification": "pii"}})])
    head = replace(base, models=[Model("m", "select 1 as c", columns={"c": waiver})])
    assert new_waivers(base.context(), head.context()) == {("model.shop.m", "c")}
    assert new_waivers(head.context(), head.context()) == set()
