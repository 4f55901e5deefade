"""`floe-ci check` reuses the manifest while the content dbt reads is the same (real dbt).

"Re-parsed" is told by the manifest itself: every `dbt parse` writes a new one with a new
invocation id; a reused manifest keeps its id and dbt's log gets no line.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from floe_ci.integrations.dbt.input_digest import manifest_identity
from tests.conftest import PARSED_MANIFEST, copy_example

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
UNSET = "Unable to do partial parsing"


def check(project: Path, token: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    env["SHOP_API_TOKEN"] = token  # a secret dbt_project.yml reads: parsed as a placeholder
    done = subprocess.run(
        [str(BIN / "floe-ci"), "check", "-c", str(project / "floe.yaml"), "--fail-on", "never"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert token not in done.stdout + done.stderr
    return done


def dbt_log(project: Path) -> str:
    log = project / ".floe" / "logs" / "dbt.log"
    return log.read_text(errors="replace") if log.is_file() else ""


def rewrite_everything(project: Path, when: float) -> int:
    """Every file written again with its own bytes and a new time, as a fresh checkout."""
    count = 0
    for path in project.rglob("*"):
        if path.is_file() and ".floe" not in path.parts and "target" not in path.parts:
            path.write_bytes(path.read_bytes())
            os.utime(path, (when, when))
            count += 1
    return count


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    shop = copy_example(tmp_path_factory.mktemp("reuse") / "shop")
    config = shop / "dbt_project.yml"
    config.write_text(
        config.read_text() + "\nvars:\n  shop_token: \"{{ env_var('SHOP_API_TOKEN', '') }}\"\n"
    )
    check(shop, "first-secret-value-1234")
    return shop


def test_same_content_unrelated_files_and_a_model_edit(project: Path) -> None:
    manifest = project / PARSED_MANIFEST
    parsed = manifest_identity(manifest)
    assert parsed is not None

    # A new checkout: every file (the manifest too) has a new time, the content is the same.
    assert rewrite_everything(project, 4_000_000_000.0) > 5
    os.utime(manifest, (4_000_000_000.0, 4_000_000_000.0))
    log_before = dbt_log(project)
    check(project, "rotated-secret-value-5678")  # a rotated secret changes nothing parsed
    assert manifest_identity(manifest) == parsed, "re-parsed although no content changed"
    assert dbt_log(project) == log_before, "dbt ran although no content changed"

    # Files dbt does not read: floe.yaml's settings and description, a dbt-bouncer config.
    floe = project / "floe.yaml"
    text = floe.read_text()
    floe.write_text(
        text.replace("# A small shop", "# A small shop, described again").replace("4000", "4001")
    )
    (project / "dbt-bouncer.yml").write_text("manifest_checks:\n  - name: check_model_names\n")
    (project / "README.md").write_text("# shop\n")
    check(project, "rotated-secret-value-5678")
    assert manifest_identity(manifest) == parsed, "re-parsed for a file dbt does not read"

    # A model edit re-parses, with dbt's partial parse (the placeholder is the same value).
    model = project / "models" / "marts" / "orders.sql"
    model.write_text(model.read_text() + "\n-- edited\n")
    log_before = dbt_log(project)
    check(project, "another-secret-value-9012")
    assert manifest_identity(manifest) != parsed, "a model edit did not re-parse"
    assert "-- edited" in manifest.read_text()
    new_log = dbt_log(project)[len(log_before) :]
    assert "Running with dbt" in new_log  # dbt ran
    assert UNSET not in new_log, "dbt parsed everything again: " + new_log[-2000:]
    assert "secret-value" not in new_log
