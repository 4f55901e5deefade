"""Attack 3: nothing committed is trusted as floe-ci's state.

A head that commits floe-ci's parse from before its change (`.floe/cache/parse-target/`,
with a forged record of what it was parsed from), or a forged base checkout under
`.floe/cache/base/<sha>/`, must not hide a declassification: the check re-parses, the review
checks the real base out again."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import copy_example

pytestmark = pytest.mark.e2e
FLOE_CI = str(Path(sys.executable).parent / "floe-ci")
ENV = {**os.environ, "DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
GIT = [
    "git",
    "-c",
    "user.name=t",
    "-c",
    "user.email=t@example.com",
    "-c",
    "core.hooksPath=/dev/null",
]
CLASSIFIED = "            floe: {classification: pii, pii_type: email, sensitivity: high}\n"


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(
        [*GIT, "-C", str(root), *args], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def _commit(root: Path, message: str) -> str:
    _git(root, "add", "-A", "-f", ".")
    _git(root, "commit", "-q", "-m", message)
    return _git(root, "rev-parse", "HEAD")


def _declassify(project: Path) -> None:
    marts = project / "models" / "marts" / "_marts.yml"
    text = marts.read_text()
    assert CLASSIFIED in text
    marts.write_text(text.replace(CLASSIFIED, "            owner: growth\n", 1))


def _check(project: Path, *extra: str) -> tuple[int, list[str]]:
    report = project.parent / "report.json"
    run = subprocess.run(
        [FLOE_CI, "check", "-c", str(project / "floe.yaml"), "-f", f"json={report}", *extra],
        capture_output=True, text=True, env=ENV, timeout=600, cwd=project,
    )  # fmt: skip
    assert run.returncode in (0, 1), run.stderr
    rules = [f["rule_id"] for f in json.loads(report.read_text())["findings"] if not f["waived"]]
    return run.returncode, rules


def test_a_committed_pre_change_manifest_is_not_trusted(tmp_path: Path) -> None:
    """The forgery: floe-ci's parse of the head from before the change, with a record of
    what it was parsed from that names the changed files' content and the old manifest."""
    from floe_ci.integrations.dbt.input_digest import manifest_identity

    project = copy_example(tmp_path / "repo" / "shop")
    parsed = project / ".floe" / "cache" / "parse-target"
    manifest, record = parsed / "manifest.json", parsed / "floe-inputs.json"
    subprocess.run([FLOE_CI, "compile", "-c", str(project / "floe.yaml")], env=ENV, check=True,
                   capture_output=True)  # fmt: skip
    stale = manifest.read_bytes()
    _declassify(project)  # the change: customers.email loses its classification
    subprocess.run([FLOE_CI, "compile", "-c", str(project / "floe.yaml")], env=ENV, check=True,
                   capture_output=True)  # fmt: skip
    forged = json.loads(record.read_text())
    manifest.write_bytes(stale)
    forged["manifest"] = manifest_identity(manifest)
    record.write_text(json.dumps(forged))
    _, rules = _check(project)
    assert "FLOE301" not in rules, "the forgery does not fool an uncommitted check"
    manifest.write_bytes(stale)  # as the pull request commits them
    record.write_text(json.dumps(forged))
    subprocess.run(["git", "init", "-q", "-b", "main", str(tmp_path / "repo")], check=True)
    _commit(tmp_path / "repo", "declassify, with a stale manifest")
    later = time.time() + 60
    os.utime(manifest, (later, later))  # as git leaves it: written last, so it looks fresh
    code, rules = _check(project)
    assert "FLOE301" in rules, rules  # customers.email carries stg_customers.email's PII
    assert code == 1


def test_a_committed_base_checkout_is_not_trusted(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    project = copy_example(root / "shop")
    (root / ".gitignore").write_text(".floe/\ntarget/\n")
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    base = _commit(root, "base: customers.email is classified")
    _declassify(project)
    # The forgery: a "base checkout" that is the head itself, marked complete.
    forged = project / ".floe" / "cache" / "base" / base
    shutil.copytree(root, forged, ignore=shutil.ignore_patterns(".git", ".floe"))
    (forged / ".floe-base-complete").write_text(base + "\n")
    _commit(root, "head: declassify, and a forged base checkout")
    code, rules = _check(project, "--base", base, "--fail-on", "error")
    assert "FLOE501" in rules, rules  # the declassification is seen against the real base
    assert code == 1


def test_compile_does_not_trust_a_committed_pre_change_manifest(tmp_path: Path) -> None:
    """The same forgery against `compile`: its artifacts (which Cube's row-level security
    and the Helm values are made from) must carry the change, not the stale parse."""
    from floe_ci.integrations.dbt.input_digest import manifest_identity

    project = copy_example(tmp_path / "repo" / "shop")
    parsed = project / ".floe" / "cache" / "parse-target"
    manifest, record = parsed / "manifest.json", parsed / "floe-inputs.json"
    compile_ = [FLOE_CI, "compile", "-c", str(project / "floe.yaml")]
    subprocess.run(compile_, env=ENV, check=True, capture_output=True)
    stale = manifest.read_bytes()
    _declassify(project)
    subprocess.run(compile_, env=ENV, check=True, capture_output=True)
    forged = json.loads(record.read_text())
    manifest.write_bytes(stale)
    forged["manifest"] = manifest_identity(manifest)
    record.write_text(json.dumps(forged))
    subprocess.run(["git", "init", "-q", "-b", "main", str(tmp_path / "repo")], check=True)
    _commit(tmp_path / "repo", "declassify, with a stale manifest")
    later = time.time() + 60
    os.utime(manifest, (later, later))
    done = subprocess.run(compile_, env=ENV, capture_output=True, text=True, check=True)
    artifacts = json.loads((project / ".floe" / "artifacts.json").read_text())
    assert "email" not in artifacts["column_classifications"]["customers"]
    assert "email" in artifacts["column_classifications"]["stg_customers"]
    assert "it is not trusted: the project is parsed again" in done.stderr
