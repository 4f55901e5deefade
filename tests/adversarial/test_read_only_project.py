"""Attack 7, the last case: a read-only project or a read-only `.floe/cache`.

The check says so before any work, exit 2 with the fix, never a traceback halfway through.
The tests run as root, whom permissions do not stop: the CLI runs as `nobody` here
(`setpriv`, or `runuser`), on a copy of the project that user can read."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import copy_example

FLOE_CI = str(Path(sys.executable).parent / "floe-ci")
NOBODY = 65534


def _as_nobody() -> list[str] | None:
    if os.geteuid() != 0:
        return []  # permissions already bite for this user
    if shutil.which("setpriv"):
        return ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    if shutil.which("runuser"):
        return ["runuser", "-u", "nobody", "--"]
    return None


PREFIX = _as_nobody()
pytestmark = pytest.mark.skipif(
    PREFIX is None, reason="running as root and neither setpriv nor runuser is installed"
)


@pytest.fixture
def public_dir() -> Iterator[Path]:
    """A folder every user can read and enter (pytest's tmp_path is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="floe-readonly-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _give_to_nobody(path: Path) -> None:
    for entry in [path, *path.rglob("*")]:
        os.chown(entry, NOBODY, NOBODY, follow_symlinks=False)


def _check(project: Path, home: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {
        **os.environ,
        "HOME": str(home),
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    started = time.monotonic()
    run = subprocess.run(
        [*(PREFIX or []), FLOE_CI, "check", "-c", str(project / "floe.yaml")],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        cwd=home,
    )
    return run, time.monotonic() - started


def _home(public_dir: Path) -> Path:
    home = public_dir / "home"
    home.mkdir()
    _give_to_nobody(home)
    return home


def test_a_read_only_project_fails_before_the_work(public_dir: Path) -> None:
    project = copy_example(public_dir / "shop")  # root's, 0755: read-only for nobody
    run, elapsed = _check(project, _home(public_dir))
    assert run.returncode == 2, run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    assert f"{project}: Permission denied" in run.stderr, run.stderr  # the folder, the reason
    assert "make it writable" in run.stderr  # the fix
    assert not (project / ".floe").exists() and not (project / "target").exists()
    assert elapsed < 30  # refused before dbt was even imported


def test_a_read_only_floe_cache_fails_before_the_work(public_dir: Path) -> None:
    project = copy_example(public_dir / "shop")
    cache = project / ".floe" / "cache"
    cache.mkdir(parents=True)
    _give_to_nobody(project)
    os.chown(cache, 0, 0)  # the cache alone stays root's: nobody cannot write in it
    run, _ = _check(project, _home(public_dir))
    assert run.returncode == 2, run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    assert f"cannot write floe-ci's cache (`.floe/cache/`) in {cache}" in run.stderr, run.stderr
    assert "make it writable" in run.stderr
    assert list(cache.iterdir()) == []  # no dbt parse ran first


def test_a_read_only_dbt_target_fails_before_dbt_runs(public_dir: Path) -> None:
    project = copy_example(public_dir / "shop")
    target = project / ".floe" / "cache" / "parse-target"  # where floe-ci's dbt parse writes
    target.mkdir(parents=True)
    _give_to_nobody(project)
    os.chown(target, 0, 0)  # dbt could not write its manifest there
    run, elapsed = _check(project, _home(public_dir))
    assert run.returncode == 2, run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    assert f"cannot write dbt's target files in {target}: Permission denied" in run.stderr
    assert "make it writable" in run.stderr
    assert not (project / ".floe" / "logs" / "dbt.log").exists()  # dbt never started
    assert elapsed < 30


def test_the_same_project_made_writable_is_checked(public_dir: Path) -> None:
    """The refusals above are about permissions, not about running as nobody. (The parse
    runs as root first: dbt's multiprocessing helper re-executes this interpreter, whose
    installation nobody may not reach.)"""
    project = copy_example(public_dir / "shop")
    home = _home(public_dir)
    first = subprocess.run(
        [FLOE_CI, "check", "-c", str(project / "floe.yaml")], capture_output=True, text=True
    )
    assert first.returncode == 0, first.stderr
    for made in ("lineage", "findings", "locations", "manifest"):  # all but the parse
        shutil.rmtree(project / ".floe" / "cache" / made, ignore_errors=True)
    (project / "target").mkdir()  # the user's, read-only: a check never writes there
    _give_to_nobody(project)
    os.chown(project / "target", 0, 0)
    run, _ = _check(project, home)
    assert run.returncode == 0, run.stdout + run.stderr
    assert (project / ".floe" / "cache" / "lineage").is_dir()
