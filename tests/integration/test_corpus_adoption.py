"""Adopting a real dbt project: `floe-ci init --existing && floe-ci classify --write`.

Each corpus project (Fivetran's HubSpot and Shopify packages, see ../shared/corpus/README.md)
is unpacked into a temporary folder, as it ships: no floe.yaml and no classification. The
commands run as a user runs them (the console script, in the project's folder); then:

- floe.yaml validates, starts with the schema comment, carries no credential, and a second
  `init --existing` refuses to overwrite it;
- every properties file changed only by inserted lines, each one a `meta: {floe: ...}` entry
  or the `- name:` / `columns:` lines of a new column entry (the test compares the files
  line by line against the tarball's), and new files are only `_floe_classifications.yml`;
- `floe-ci check` then runs on the classified project.
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

from floe_ci.app.spec_file import load_spec
from floe_ci.integrations.dbt.properties_writer import NEW_PROPERTIES_FILE
from tests.conftest import REPO_ROOT

CORPUS = REPO_ROOT.parent / "shared" / "corpus"
PROJECTS = ("hubspot", "shopify")

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not (CORPUS / "hubspot.tar.gz").is_file(),
        reason=f"the dbt corpus is not here ({CORPUS}): it sits next to the repository "
        "in floe-ci's own environment only",
    ),
]

ENV = {**os.environ, "DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
FLOE_CI = str(Path(sys.executable).with_name("floe-ci"))
ADDED_LINE = re.compile(
    r"^\s*(meta: \{floe: \{classification: (pii|financial), pii_type: [a-z_]+, "
    r"sensitivity: (high|critical)\}\}|- name: [\w\"' -]+|columns:)$"
)


def _run(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [FLOE_CI, *args], cwd=project, env=ENV, capture_output=True, text=True, check=False
    )


def _unpack(name: str, folder: Path) -> tuple[Path, Path]:
    with tarfile.open(CORPUS / f"{name}.tar.gz") as archive:
        archive.extractall(folder, filter="data")
    pristine = folder / "pristine"
    with tarfile.open(CORPUS / f"{name}.tar.gz") as archive:
        archive.extractall(pristine, filter="data")
    repository = folder / f"dbt_{name}"
    project = repository / "integration_tests"
    # `dbt deps` links a `local: ../` package; the tarball holds a copy. Linked, the
    # package's own properties YAML (what its maintainers edit) is what classify writes.
    installed = project / "dbt_packages" / name
    shutil.rmtree(installed)
    installed.symlink_to(Path("..") / "..", target_is_directory=True)
    return repository, pristine / f"dbt_{name}"


def _yaml_files(root: Path) -> set[Path]:
    skip = {"dbt_packages", ".floe", "target", "logs"}
    return {
        p.relative_to(root)
        for p in root.rglob("*.y*ml")
        if not skip & set(p.relative_to(root).parts)
    }


@pytest.mark.parametrize("name", PROJECTS)
def test_init_existing_then_classify_write_touches_only_meta_floe(
    name: str, tmp_path: Path
) -> None:
    repository, pristine = _unpack(name, tmp_path)
    project = repository / "integration_tests"
    assert not (project / "floe.yaml").exists()

    init = _run(project, "init", "--existing")
    assert init.returncode == 0, init.stderr
    assert "floe-ci classify" in init.stdout  # what to do next
    config = project / "floe.yaml"
    text = config.read_text()
    assert text.startswith("# yaml-language-server: $schema=")
    spec = load_spec(config).spec
    assert spec.compute.target.value == "duckdb"
    assert spec.compute.properties["path"] == "integration_tests.duckdb"
    assert set(spec.governance.policies) == {"pii", "financial"}
    again = _run(project, "init", "--existing")
    assert again.returncode == 2 and "already exists" in again.stderr
    assert config.read_text() == text

    classify = _run(project, "classify", "--write")
    assert classify.returncode == 0, classify.stderr[-3000:]
    assert "skipped" not in classify.stderr, classify.stderr
    written = int(re.search(r"wrote (\d+) classification", classify.stdout).group(1))  # type: ignore[union-attr]
    assert written >= 50, classify.stdout[-2000:]

    before, after = _yaml_files(pristine), _yaml_files(repository)
    new_files = after - before - {Path("integration_tests/floe.yaml")}
    assert all(p.name == NEW_PROPERTIES_FILE for p in new_files), new_files
    entries = 0
    for relative in sorted(before):
        old = (pristine / relative).read_text().splitlines()
        new = (repository / relative).read_text().splitlines()
        if old == new:
            continue
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, False).get_opcodes():
            assert tag in ("equal", "insert"), (relative, tag, old[i1:i2], new[j1:j2])
            if tag == "insert":
                for line in new[j1:j2]:
                    assert ADDED_LINE.match(line), (relative, line)
                    entries += "meta: {floe:" in line
    for relative in new_files:
        data = yaml.safe_load((repository / relative).read_text())
        sections = [v for k, v in data.items() if k != "version"]
        entries += sum(len(e["columns"]) for section in sections for e in section)
    assert entries == written

    check = _run(project, "check", "--fail-on", "never", "--format", "json=report.json")
    assert check.returncode == 0, check.stderr[-3000:]
    report = yaml.safe_load((project / "report.json").read_text())
    assert report["stats"]["classified_columns"] > 0
    rules = {f["rule_id"] for f in report["findings"] if not f["waived"]}
    assert not rules & {"FLOE101", "FLOE106", "FLOE107", "FLOE108"}, rules


def test_fix_after_classify_makes_the_hubspot_check_pass(tmp_path: Path) -> None:
    """The whole adoption on HubSpot, with the warehouse for the models that read it: init,
    classify --write, then fix carries the classifications downstream (FLOE301) in the
    package's files (a local package, outside the project folder), and the check passes."""
    repository, _ = _unpack("hubspot", tmp_path)
    project = repository / "integration_tests"
    for args in (("init", "--existing"), ("classify", "--write")):
        done = _run(project, *args)
        assert done.returncode == 0, done.stderr[-3000:]
    dbt = str(Path(sys.executable).with_name("dbt"))
    subprocess.run(  # a few seeds fail on DuckDB by design (the corpus README lists them)
        [dbt, "seed", "--no-version-check", "--profiles-dir", "."],
        cwd=project,
        env=ENV,
        capture_output=True,
        check=False,
    )
    before = _run(project, "check", "--compile-target", "duckdb", "--fail-on", "never")
    assert "FLOE301" in before.stdout, before.stdout[-3000:]
    fixed = _run(project, "fix", "--compile-target", "duckdb")
    assert fixed.returncode == 0, fixed.stderr[-3000:]
    assert "FLOE301 int_hubspot__deals_enhanced.owner_email_address: carry `pii`" in fixed.stdout
    after = _run(project, "check", "--compile-target", "duckdb")
    assert after.returncode == 0, after.stdout[-3000:]
    assert "FLOE301" not in after.stdout
