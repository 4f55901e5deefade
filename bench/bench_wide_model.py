"""Benchmark `floe-ci check` on one very wide model (tests/adversarial/wide_model.py).

    python bench/bench_wide_model.py [--columns 20000] [--work DIR]

examples/shop plus a model of N columns, each copied from a classified column, so each is
a FLOE301 finding located in the model's SQL. `dbt parse` runs first (not counted); then a
cold check (no lineage cache) and a warm one, each the whole `floe-ci check` process
printing the console report and writing the JSON report. Prints wall and CPU seconds;
target: under 10 s (locating columns was a scan of the SQL per finding: 441 s at 20,000).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
BIN = Path(sys.executable).parent
ENV = {**os.environ, "DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}


def _timed(args: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(args, env=ENV, check=True, capture_output=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    from tests.adversarial.wide_model import wide_project

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--columns", type=int, default=20_000)
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="floe-wide-"))
    shutil.rmtree(work / "shop", ignore_errors=True)
    project = wide_project(work / "shop", args.columns)
    config = str(project / "floe.yaml")
    subprocess.run([str(BIN / "floe-ci"), "compile", "-c", config], env=ENV, check=True,
                   capture_output=True)  # fmt: skip
    check = [str(BIN / "floe-ci"), "check", "-c", config, "--fail-on", "never",
             "-f", "console", "-f", f"json={work / 'report.json'}"]  # fmt: skip
    shutil.rmtree(project / ".floe" / "cache", ignore_errors=True)
    cold = _timed(check)
    warm = _timed(check)
    print(f"one model of {args.columns:,} columns, {args.columns:,} located findings")
    print(f"  cold check: {cold[0]:.1f} s wall, {cold[1]:.1f} s CPU   (target < 10 s)")
    print(f"  warm check: {warm[0]:.1f} s wall, {warm[1]:.1f} s CPU")


if __name__ == "__main__":
    main()
