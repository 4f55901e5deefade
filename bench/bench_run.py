"""Benchmark `floe run` on the bundled example against a plain `dbt build` of the same project.

    python -m bench.bench_run [--runs 5] [--work DIR]

Set-up (not counted): two copies of examples/shop under DIR, one for floe and one for dbt,
each with its own DuckDB file and target folder, so that neither reuses the other's partial
parse; then one run of each as a warm-up (what a developer has after the first run).

Measured, alternately (floe, dbt, floe, dbt, ...): the whole `floe run -q` process (compile,
Dagster, `dbt build` through dagster-dbt, run-time governance) and the whole `dbt build`
process with the example's own profiles.yml (DuckDB, 2 threads), as a user runs it by hand.
Printed: the medians and the median of the pairwise ratios floe / dbt (pairs keep the ratio
meaningful while the speed of a shared machine drifts).

`measure(runs, work)` returns the same figures for `python -m bench all`.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.bench_check import BIN, timed_process  # noqa: E402

EXAMPLE = REPO / "examples" / "shop"
GENERATED = shutil.ignore_patterns("target", "logs", ".floe", "*.duckdb", "*.wal", ".user.yml")


def prepare(work: Path) -> tuple[Path, Path]:
    """Fresh copies of the example for floe and for dbt, each run once (not counted)."""
    floe_copy, dbt_copy = work / "run-floe" / "shop", work / "run-dbt" / "shop"
    for copy in (floe_copy, dbt_copy):
        shutil.rmtree(copy.parent, ignore_errors=True)
        shutil.copytree(EXAMPLE, copy, ignore=GENERATED)
    floe_run(floe_copy)
    dbt_build(dbt_copy)
    return floe_copy, dbt_copy


def floe_run(project: Path) -> float:
    wall, _peak, code, output = timed_process([str(BIN / "floe"), "run", "-q"], project)
    if code != 0:
        raise SystemExit(f"floe run failed in {project}:\n{output[-3000:]}")
    return wall


def dbt_build(project: Path) -> float:
    args = [str(BIN / "dbt"), "build", "--profiles-dir", ".", "--no-version-check", "-q"]
    wall, _peak, code, output = timed_process(args, project)
    if code != 0:
        raise SystemExit(f"dbt build failed in {project}:\n{output[-3000:]}")
    return wall


def measure(runs: int, work: Path) -> dict[str, float]:
    """Medians of `runs` alternated runs: seconds of `floe run`, of `dbt build`, their ratio."""
    floe_copy, dbt_copy = prepare(work)
    floe_times: list[float] = []
    dbt_times: list[float] = []
    for _ in range(runs):
        floe_times.append(floe_run(floe_copy))
        dbt_times.append(dbt_build(dbt_copy))
    ratios = [f / d for f, d in zip(floe_times, dbt_times, strict=True)]
    return {
        "floe_run_s": statistics.median(floe_times),
        "dbt_build_s": statistics.median(dbt_times),
        "floe_run_over_dbt_build": statistics.median(ratios),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="alternated runs of each (median)")
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: temp)")
    args = parser.parse_args()
    if args.work is None:
        with tempfile.TemporaryDirectory(prefix="floe-bench-run-") as scratch:
            figures = measure(args.runs, Path(scratch))
    else:
        figures = measure(args.runs, args.work)
    print(
        f"floe run {figures['floe_run_s']:.1f} s, dbt build {figures['dbt_build_s']:.1f} s "
        f"(medians of {args.runs}); floe run / dbt build {figures['floe_run_over_dbt_build']:.2f}"
    )


if __name__ == "__main__":
    main()
