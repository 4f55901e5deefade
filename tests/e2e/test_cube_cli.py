"""`floe-ci cube sync` from the command line: bad input is a located error (exit 2)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import copy_example

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent


def cube_sync(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "floe-ci"), "cube", "sync"],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, "DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
        timeout=600,
    )


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        ("0 9 * * 1-5", "several days of the week are not equally spaced"),
        ("*/7 * * * *", "does not fire at equal intervals"),
        ("@monthly", "months and years are not of equal length"),
    ],
)
def test_a_refresh_schedule_cube_would_refuse_is_a_located_error(
    tmp_path: Path, schedule: str, message: str
) -> None:
    root = copy_example(tmp_path / "shop")
    config = root / "floe.yaml"
    config.write_text(
        config.read_text().replace(
            'refresh_schedule: "*/30 * * * *"', f'refresh_schedule: "{schedule}"'
        )
    )
    done = cube_sync(root)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    first = done.stderr.splitlines()[0]
    assert first.startswith("floe.yaml:23:") and message in first, done.stderr
    assert "`*/30 * * * *`" in done.stderr  # the forms that work


def test_an_unsupported_cube_version_is_a_located_error(tmp_path: Path) -> None:
    root = copy_example(tmp_path / "shop")
    config = root / "floe.yaml"
    config.write_text(
        config.read_text().replace("    port: 4000\n", "    port: 4000\n    version: '0.20'\n")
    )
    done = cube_sync(root)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith("floe.yaml:20:") and "Cube version `0.20`" in done.stderr
