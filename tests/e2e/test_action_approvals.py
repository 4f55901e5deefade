"""Through the action and the local GitHub server: exceptions approved in the pull request,
and fixes offered as suggested changes.

The base revision's floe.yaml names `governance.approvers` (a user and a team). The pull
request declassifies `stg_customers.birth_date` (FLOE501) and adds a model whose
`home_phone` column looks like personal data (FLOE201, which has a fix). Then:

1. no review yet: FLOE501 fails as `needs approval`; the fix of `home_phone` appears as a
   review comment with a ```suggestion block on that column's line of the diff;
2. an approval that was dismissed, and one by a reviewer who is not an approver: still
   `needs approval`, and the suggestion is not posted twice;
3. a member of the approving team approves: the verdict passes and the comment says who
   approved what.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import copy_example
from tests.e2e.test_action_entry import PR_NUMBER, REPO, commit_all, run_action
from tests.github_server import GitHubServer

pytestmark = pytest.mark.e2e

STAGING = "shop/models/staging/_staging.yml"
CONTACTS_YML = "shop/models/marts/_contacts.yml"
BIRTH_META = (
    "        meta:\n"
    "          floe: {classification: pii, pii_type: birth_date, sensitivity: high}\n"
)
APPROVERS = '  approvers: [alice, "@acme/data-owners"]\n'


def _edit(root: Path, relative: str, old: str, new: str) -> None:
    path = root / relative
    text = path.read_text()
    assert old in text, f"{relative} lacks {old!r}"
    path.write_text(text.replace(old, new, 1))


@pytest.fixture(scope="module")
def pull_request(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    src = tmp_path_factory.mktemp("approvals") / "repo"
    copy_example(src / "shop")
    _edit(src, "shop/floe.yaml", "governance:\n", "governance:\n" + APPROVERS)
    subprocess.run(["git", "init", "-q", "-b", "main", str(src)], check=True)
    base = commit_all(src, "base: approvers named")
    subprocess.run(["git", "-C", str(src), "checkout", "-q", "-b", "change"], check=True)
    _edit(src, STAGING, "        data_type: date\n" + BIRTH_META, "        data_type: date\n")
    (src / "shop/models/marts/contacts.sql").write_text(
        "select customer_id, country as home_phone\nfrom {{ ref('customers') }}\n"
    )
    (src / CONTACTS_YML).write_text(
        "version: 2\n\nmodels:\n  - name: contacts\n    columns:\n"
        "      - name: customer_id\n      - name: home_phone\n"
        "        description: where to call the customer\n"
    )
    head = commit_all(src, "declassify birth_date, add contacts")
    origin = tmp_path_factory.mktemp("origin") / "shop.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(src), str(origin)], check=True)
    workspace = tmp_path_factory.mktemp("checkout") / "repo"
    subprocess.run(
        ["git", "clone", "-q", "--branch", "change", origin.as_uri(), str(workspace)], check=True
    )
    staging = (src / STAGING).read_text().splitlines()
    birth = staging.index("      - name: birth_date") + 1
    return {
        "workspace": workspace,
        "base": base,
        "head": head,
        # The head lines GitHub's diff shows: the new file whole, the hunk around the removal.
        "diff": {CONTACTS_YML: set(range(1, 9)), STAGING: set(range(birth - 2, birth + 5))},
    }


def test_a_declassification_needs_an_approvers_review_and_fixes_are_suggested(
    pull_request: dict[str, object], tmp_path: Path
) -> None:
    workspace = Path(str(pull_request["workspace"]))
    base, head = str(pull_request["base"]), str(pull_request["head"])
    with GitHubServer(token="ghs_" + "approvalToken" * 2) as server:
        reviews = server.pull_reviews
        reviews.set_diff(REPO, PR_NUMBER, head, pull_request["diff"])  # type: ignore[arg-type]
        reviews.add_team("acme", "data-owners", ["carol", "dave"])

        first = run_action(workspace, server, tmp_path, "701", base_sha=base, head_sha=head)
        reviews.add_review(REPO, PR_NUMBER, "alice", "APPROVED", "2026-01-02T10:00:00Z")
        reviews.add_review(REPO, PR_NUMBER, "alice", "DISMISSED", "2026-01-02T11:00:00Z")
        reviews.add_review(REPO, PR_NUMBER, "mallory", "APPROVED", "2026-01-02T12:00:00Z")
        reviews.add_review(REPO, PR_NUMBER, "dave", "COMMENTED", "2026-01-02T12:30:00Z")
        second = run_action(workspace, server, tmp_path, "702", base_sha=base, head_sha=head)
        reviews.add_review(REPO, PR_NUMBER, "carol", "APPROVED", "2026-01-02T13:00:00Z")
        third = run_action(workspace, server, tmp_path, "703", base_sha=base, head_sha=head)
    assert server.violations == [], "\n".join(server.violations)
    for run in (first, second, third):
        assert "Traceback" not in run.stderr, run.stderr

    # 1. Nobody approved: the declassification fails the check as `needs approval`.
    assert first.code == 1 and first.outputs["verdict"] == "failed", first.stdout + first.stderr
    [comment] = server.comments_on(REPO, PR_NUMBER)
    assert "approved by none of them yet" in first.stdout
    assert "FLOE501 declassification::needs approval: `stg_customers.birth_date` is no " in (
        first.stdout
    )
    assert "needs approval" in first.summary  # the comment's full text
    # The fixes outside the diff are listed in the job summary.
    assert "### floe-ci: suggested fixes" in first.summary
    # The fix of `home_phone`, on its line of the pull request's diff, as a suggestion.
    suggested = reviews.comments_on(REPO, PR_NUMBER)
    on_contacts = [c for c in suggested if c["path"] == CONTACTS_YML]
    assert len(on_contacts) == 1, [(c["path"], c["line"]) for c in suggested]
    posted = on_contacts[0]
    assert posted["line"] == 7 and posted["side"] == "RIGHT" and posted["commit_id"] == head
    assert (
        "```suggestion\n      - name: home_phone\n        meta: {floe: {classification: pii, "
        in (posted["body"])
    )
    assert "FLOE201 `contacts.home_phone`" in posted["body"]
    assert len(suggested) <= 20

    # 2. A dismissed approval and a non-approver's do not count; nothing is posted twice.
    assert second.code == 1 and second.outputs["verdict"] == "failed"
    assert "approved by none of them yet" in second.stdout
    assert len(reviews.comments_on(REPO, PR_NUMBER)) == len(suggested)
    assert "already there" in second.stdout

    # 3. A member of the approving team approved: it passes, and says who approved what.
    assert third.code == 0 and third.outputs["verdict"] == "passed", third.stdout + third.stderr
    body = server.comments_on(REPO, PR_NUMBER)[0]["body"]
    assert comment["id"] == server.comments_on(REPO, PR_NUMBER)[0]["id"]
    # The names are shown, but as inert mentions (the comment pings nobody).
    shown = body.replace("\u2060", "")
    assert "approved by @carol (@acme/data-owners) in the pull request" in shown
    assert "@carol" not in body
    assert "birth_date" in body
