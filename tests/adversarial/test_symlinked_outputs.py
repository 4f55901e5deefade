"""Attack 10, every folder: a committed link in the project never sends a write elsewhere.

A pull request can commit `.floe/cache/parse-target -> /somewhere` (dbt's target folder
for floe-ci's parse), `.floe/cache -> /somewhere` or `.floe/logs -> /somewhere`; the dbt
floe-ci launches would write its manifest, compiled SQL, partial_parse.msgpack and log there,
and floe-ci its caches and reports. Each is refused before any work, exit 2, with the link,
its destination and the fix; a link that stays inside the project is followed as usual. The
user's own `target/` is never written by a check or a compile, linked or not."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import copy_example

FLOE_CI = str(Path(sys.executable).parent / "floe-ci")
ENV = {**os.environ, "DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
# A model whose Jinja floe-ci's renderer leaves to dbt: the check runs `dbt compile` into
# `.floe/cache/lineage/` (a folder of its own, with a copy of partial_parse.msgpack).
DBT_COMPILED_MODEL = (
    "{% set cols = ['customer_id'] %}\n"
    "select {% for c in cols %}{{ c }}{% endfor %} from {{ ref('customers') }}\n"
)


def _floe(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([FLOE_CI, *args], capture_output=True, text=True, env=ENV, timeout=600)


def _project(tmp_path: Path) -> tuple[Path, Path]:
    project = copy_example(tmp_path / "shop")
    (project / "models" / "marts" / "jinja_loop.sql").write_text(DBT_COMPILED_MODEL)
    outside = tmp_path / "outside"
    outside.mkdir()
    return project, outside


def _assert_refused(run: subprocess.CompletedProcess[str], link: Path, outside: Path) -> None:
    assert run.returncode == 2, run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    assert f"{link} -> {outside}" in run.stderr, run.stderr  # the link and where it leads
    assert f"rm {link}" in run.stderr  # the fix
    assert sorted(outside.rglob("*")) == [], "something was written out of the project"


@pytest.mark.parametrize(
    "relative",
    [".floe/cache/parse-target", ".floe/cache", ".floe/logs"],
    ids=["dbt-target", "floe-cache", "dbt-log-folder"],
)
def test_a_folder_linked_out_of_the_project_is_refused(tmp_path: Path, relative: str) -> None:
    project, outside = _project(tmp_path)
    link = project / relative
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(outside, target_is_directory=True)
    run = _floe("check", "-c", str(project / "floe.yaml"), "--refresh-manifest")
    _assert_refused(run, link, outside)


def test_a_compile_into_a_linked_target_is_refused(tmp_path: Path) -> None:
    project, outside = _project(tmp_path)
    link = project / ".floe" / "cache" / "parse-target"
    link.parent.mkdir(parents=True)
    link.symlink_to(outside, target_is_directory=True)
    run = _floe("compile", "-c", str(project / "floe.yaml"))
    _assert_refused(run, link, outside)


def test_the_users_linked_target_is_left_alone(tmp_path: Path) -> None:
    """A check and a compile parse into `.floe/cache/parse-target/`: a `target/` linked
    anywhere is the user's, neither refused nor written."""
    project, outside = _project(tmp_path)
    (project / "target").symlink_to(outside, target_is_directory=True)
    for command in ("check", "compile"):
        run = _floe(command, "-c", str(project / "floe.yaml"))
        assert run.returncode in (0, 1), run.stdout + run.stderr
    assert sorted(outside.rglob("*")) == []
    assert (project / ".floe" / "cache" / "parse-target" / "manifest.json").is_file()


def test_a_report_through_a_link_out_of_the_project_is_refused(tmp_path: Path) -> None:
    project, outside = _project(tmp_path)
    (project / "reports").symlink_to(outside, target_is_directory=True)
    report = project / "reports" / "floe.sarif"
    run = _floe("check", "-c", str(project / "floe.yaml"), "-f", f"sarif={report}")
    assert run.returncode == 2, run.stdout + run.stderr
    assert f"{project / 'reports'} -> {outside}" in run.stderr and "Traceback" not in run.stderr
    assert sorted(outside.rglob("*")) == []
    assert not (project / ".floe" / "cache" / "parse-target").exists()  # before dbt parse ran


def test_links_that_stay_inside_the_project_are_followed(tmp_path: Path) -> None:
    project, _ = _project(tmp_path)
    (project / "build" / "dbt-target").mkdir(parents=True)
    (project / "target").symlink_to(project / "build" / "dbt-target", target_is_directory=True)
    (project / "build" / "floe-cache").mkdir()
    (project / ".floe").mkdir()
    (project / ".floe" / "cache").symlink_to(Path("../build/floe-cache"))
    run = _floe("check", "-c", str(project / "floe.yaml"), "-f", "json")
    assert run.returncode in (0, 1), run.stderr
    assert (project / "build" / "floe-cache" / "parse-target" / "manifest.json").is_file()
    assert (project / "build" / "floe-cache" / "lineage").is_dir()
    assert list((project / "build" / "dbt-target").iterdir()) == []  # the user's target/
