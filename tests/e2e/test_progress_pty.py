"""On a terminal, no step of check, check --base, compile or run is silent for 2 s.

Each command runs on the bundled example under a pseudo-terminal (its standard input,
output and error are the terminal, as in a developer's shell); every chunk of output is
timestamped as it arrives, and the longest wait between two chunks (from the start to the
first one, and from the last one to the exit) must stay under 2 s. The control run with
`--quiet` shows the measurement can fail: without progress, the parse alone is silence.
"""

from __future__ import annotations

import itertools
import os
import pty
import select
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import copy_example
from tests.git_support import git

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
MAX_SILENCE = 2.0
ESC = "\x1b"


@dataclass(frozen=True)
class TerminalRun:
    returncode: int
    chunks: list[tuple[float, bytes]]  # seconds since the start, bytes read
    ended: float

    @property
    def longest_silence(self) -> tuple[float, float]:
        """(seconds without output, when that silence began)."""
        moments = [0.0, *(at for at, _ in self.chunks), self.ended]
        return max((later - earlier, earlier) for earlier, later in itertools.pairwise(moments))

    @property
    def text(self) -> str:
        return b"".join(data for _, data in self.chunks).decode("utf-8", "replace")


def on_terminal(*args: str, cwd: Path, timeout: float = 600) -> TerminalRun:
    """Run `args` with a pseudo-terminal as standard input, output and error."""
    leader, follower = pty.openpty()
    env = {
        **os.environ,
        "TERM": "xterm",
        "COLUMNS": "120",
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    env.pop("NO_COLOR", None)
    started = time.monotonic()
    process = subprocess.Popen(
        list(args), cwd=cwd, stdin=follower, stdout=follower, stderr=follower, env=env
    )
    os.close(follower)
    chunks: list[tuple[float, bytes]] = []
    try:
        while time.monotonic() - started < timeout:
            ready, _, _ = select.select([leader], [], [], 0.05)
            if not ready:
                continue
            try:
                data = os.read(leader, 65536)
            except OSError:  # EIO: every holder of the terminal's other end has closed it
                break
            if not data:
                break
            chunks.append((time.monotonic() - started, data))
        returncode = process.wait(timeout=30)
    finally:
        os.close(leader)
        if process.poll() is None:
            process.kill()
            process.wait()
    return TerminalRun(returncode, chunks, time.monotonic() - started)


def assert_never_silent(run: TerminalRun, what: str) -> None:
    silence, since = run.longest_silence
    assert silence < MAX_SILENCE, (
        f"{what}: {silence:.1f}s without output from {since:.1f}s (exit {run.returncode}); "
        f"output:\n{run.text[-3000:]}"
    )


@pytest.fixture(scope="module")
def repository(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example in a git repository of two commits: the head changes one model."""
    top = tmp_path_factory.mktemp("pty")
    git(top, "init", "-q", "-b", "main")
    project = copy_example(top / "shop")
    (top / ".gitignore").write_text(".floe/\ntarget/\nlogs/\n*.duckdb\n.user.yml\n")
    git(top, "add", "-A")
    git(top, "commit", "-qm", "base")
    model = project / "models" / "marts" / "customers.sql"
    model.write_text(model.read_text() + "\n-- the head's change\n")
    git(top, "commit", "-qam", "head")
    return project


def test_compile_on_a_terminal_is_never_silent(repository: Path) -> None:
    run = on_terminal(str(BIN / "floe-ci"), "compile", "--refresh-manifest", cwd=repository)
    assert run.returncode == 0, run.text
    assert_never_silent(run, "floe-ci compile --refresh-manifest")
    assert "dbt parse" in run.text  # the live line names the long step
    assert f"{ESC}[K" in run.text  # ... and redraws it in place


def test_check_on_a_terminal_is_never_silent(repository: Path) -> None:
    run = on_terminal(str(BIN / "floe-ci"), "check", "--refresh-manifest", cwd=repository)
    assert run.returncode == 0, run.text
    assert_never_silent(run, "floe-ci check --refresh-manifest")
    assert "passed" in run.text


def test_review_on_a_terminal_is_never_silent(repository: Path) -> None:
    run = on_terminal(str(BIN / "floe-ci"), "check", "--base", "HEAD~1", cwd=repository)
    assert run.returncode == 0, run.text
    assert_never_silent(run, "floe-ci check --base HEAD~1")
    assert "base revision" in run.text


def test_run_on_a_terminal_is_never_silent(repository: Path) -> None:
    run = on_terminal(str(BIN / "floe"), "run", cwd=repository)
    assert run.returncode == 0, run.text
    assert_never_silent(run, "floe run")
    assert "floe run `shop`" in run.text


def test_without_progress_the_same_check_is_silent_for_seconds(repository: Path) -> None:
    """The control: `--quiet` leaves the parse silent, and the measurement sees it."""
    run = on_terminal(
        str(BIN / "floe-ci"), "check", "--quiet", "--refresh-manifest", cwd=repository
    )
    assert run.returncode == 0, run.text
    silence, _since = run.longest_silence
    assert silence >= MAX_SILENCE, f"a quiet check printed often enough: {run.text}"
    assert f"{ESC}[K" not in run.text
