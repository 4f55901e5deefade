"""`floe-ci check --base` when `dbt_packages/` is gitignored: the base's checkout has no
installed packages, and the review still compares both revisions (or stops early)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from floe_ci.cli.main import cli
from tests.conftest import PARSED_MANIFEST
from tests.git_support import git

pytestmark = pytest.mark.e2e

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "package_project"
CLASSIFIED_EMAIL = (
    "        meta:\n          floe: {classification: pii, pii_type: email, sensitivity: high}\n"
)
HUB_PACKAGE = "  - package: dbt-labs/dbt_utils\n    version: 1.3.0\n"
DBT = Path(sys.executable).with_name("dbt")
ENV = {**os.environ, "DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}


def dbt(project: Path, *args: str) -> None:
    profiles = project / "test-profile"
    profiles.mkdir(exist_ok=True)
    (profiles / "profiles.yml").write_text(
        "shop_root:\n  target: t\n  outputs:\n    t: {type: duckdb, path: ':memory:'}\n"
    )
    done = subprocess.run(
        [str(DBT), *args, "--no-version-check", "--profiles-dir", str(profiles)],
        cwd=project,
        env=ENV,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:]
    shutil.rmtree(profiles)


def pull_request(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, base_packages: str) -> Path:
    """main: the package fixture (root + local package crm, dbt_packages/ gitignored) with
    `base_packages` as root/packages.yml; the working tree declassifies crm's email, and
    has the local package installed by `dbt deps`, as a developer's checkout would."""
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURE, repo)
    root = repo / "root"
    (root / "packages.yml").write_text(base_packages)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    props = repo / "crm" / "models" / "_crm.yml"
    props.write_text(props.read_text().replace(CLASSIFIED_EMAIL, "", 1))
    (root / "packages.yml").write_text("packages:\n  - local: ../crm\n")
    dbt(root, "deps")
    monkeypatch.chdir(repo)
    return root


def review(*extra: str) -> tuple[int, dict[str, object], str]:
    done = CliRunner().invoke(
        cli, ["check", "-c", "root/floe.yaml", "--base", "main", "-f", "json=r.json", *extra]
    )
    report = json.loads(Path("r.json").read_text()) if done.exit_code in (0, 1) else {}
    return done.exit_code, report, done.output


def declassified(report: dict[str, object]) -> list[str]:
    findings = report.get("findings")
    assert isinstance(findings, list)
    return [f"{f['model']}.{f['column']}" for f in findings if f["rule_id"] == "FLOE501"]


def base_worktree(root: Path) -> Path:
    [worktree] = (root / ".floe" / "cache" / "base").iterdir()
    return worktree


def test_same_package_files_reuse_the_heads_packages_with_the_bases_local_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = pull_request(tmp_path, monkeypatch, "packages:\n  - local: ../crm\n")
    code, report, output = review()
    assert code == 0, output
    # The base read its own crm (email classified there), not the head's installed copy.
    assert declassified(report) == ["stg_crm_customers.email"]
    installed = base_worktree(root) / "root" / "dbt_packages"
    assert (installed / "crm").is_symlink()
    assert (installed / "crm").resolve() == (base_worktree(root) / "crm").resolve()
    assert "copied from" in (installed / ".floe-packages").read_text()
    assert not (root / "dbt_packages" / ".floe-packages").exists()  # the head's is untouched
    again, _, output = review()  # the prepared base is reused as it is
    assert again == 0, output


def test_changed_package_files_are_installed_in_the_base_with_dbt_deps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = pull_request(tmp_path, monkeypatch, "# the CRM package\npackages:\n  - local: ../crm\n")
    code, report, output = review()
    assert code == 0, output
    assert declassified(report) == ["stg_crm_customers.email"]
    stamp = base_worktree(root) / "root" / "dbt_packages" / ".floe-packages"
    assert stamp.read_text() == "installed with dbt deps\n"


def test_uninstallable_base_packages_stop_before_the_head_is_parsed_and_a_base_manifest_helps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = pull_request(tmp_path, monkeypatch, "packages:\n  - local: ../crm\n" + HUB_PACKAGE)
    code, _, output = review()
    assert code == 2, output
    assert "Traceback" not in output
    assert "root/packages.yml" in output and "`dbt deps` could not install them" in output
    assert "--base-manifest" in output
    assert not (root / PARSED_MANIFEST).exists(), "the head was parsed first"

    # The manifest of the base, as the main branch's CI would have kept it.
    elsewhere = tmp_path / "main-build"
    git(tmp_path / "repo", "worktree", "add", "-q", "--detach", str(elsewhere), "main")
    (elsewhere / "root" / "packages.yml").write_text("packages:\n  - local: ../crm\n")
    dbt(elsewhere / "root", "deps")
    dbt(elsewhere / "root", "parse")
    base_manifest = elsewhere / "root" / "target" / "manifest.json"
    code, report, output = review("--base-manifest", str(base_manifest))
    assert code == 0, output
    assert declassified(report) == ["stg_crm_customers.email"]


def test_base_manifest_needs_base() -> None:
    done = CliRunner().invoke(cli, ["check", "--base-manifest", __file__])
    assert done.exit_code == 2
    assert "--base-manifest is the base revision's manifest: add --base REF" in done.output
