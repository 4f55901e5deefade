"""`floe-ci fix` through the installed command: a FLOE301 finding becomes a classification,
`--dry-run` only prints the diff, and the next check passes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent


def run(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    return subprocess.run(
        [str(BIN / "floe-ci"), *args],
        cwd=project,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_fix_carries_the_upstream_classification_and_the_check_passes(shop: Path) -> None:
    (shop / "models" / "marts" / "contacts.sql").write_text(
        "select customer_id, email as reach_at, upper(full_name) as shouted\n"
        "from {{ ref('customers') }}\n"
    )
    marts = shop / "models" / "marts" / "_marts.yml"
    before = marts.read_text()
    failing = run(shop, "check")
    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert "FLOE301" in failing.stdout and "contacts.reach_at" in failing.stdout

    dry = run(shop, "fix", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "FLOE301 contacts.reach_at: carry `pii` (email, high) from `" in dry.stdout
    assert "+      - name: reach_at" in dry.stdout and "--dry-run: no file changed" in dry.stdout
    created = shop / "models" / "marts" / "_floe_classifications.yml"
    assert not created.exists()

    fixed = run(shop, "fix")
    assert fixed.returncode == 0, fixed.stderr
    assert "wrote 2 classification(s)" in fixed.stdout, fixed.stdout
    text = created.read_text()
    assert "- name: reach_at\n        meta: {floe: {classification: pii, pii_type: email, " in text
    assert "- name: shouted\n        meta: {floe: {classification: pii, pii_type: name, " in text
    assert marts.read_text() == before

    passing = run(shop, "check")
    assert passing.returncode == 0, passing.stdout + passing.stderr
    again = run(shop, "fix")
    assert "nothing to fix" in again.stdout
