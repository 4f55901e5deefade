"""`floe run` against a plain `dbt build` of the same example, alternated (interim module).

Part B of issue 14 brings its own measurement of `floe run`'s overhead; until it is merged,
`python -m bench all` takes the figure from here (see `run_figure` in bench/__main__.py).
Each run starts from a fresh copy of examples/shop (no target/, no .floe/), so both tools
build every seed and model and run every test against a new DuckDB file:

- `floe-ci run -c floe.yaml`: compile, then Dagster materializes the dbt assets in-process;
- `dbt build --project-dir . --profiles-dir .`: the same nodes with the example's own profile.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from bench.figures import median
from bench.scale_project import BIN, REPO, run_measured

EXAMPLE = REPO / "examples" / "shop"


def _fresh_copy(work: Path) -> Path:
    copy = work / "run-shop"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns("target", ".floe", "logs"))
    return copy


def measure(runs: int, work: Path) -> dict[str, float]:
    """Medians over `runs`: {"floe_s", "dbt_s", "floe_peak_mib"}."""
    floe_runs: list[float] = []
    dbt_runs: list[float] = []
    peaks: list[float] = []
    for _ in range(runs):
        project = _fresh_copy(work)
        floe = run_measured([str(BIN / "floe-ci"), "run", "-c", "floe.yaml"], project)
        if floe.code != 0:
            raise SystemExit(f"floe-ci run failed in {project}:\n{floe.output[-3000:]}")
        project = _fresh_copy(work)
        dbt = run_measured(
            [
                str(BIN / "dbt"),
                "build",
                "--project-dir",
                ".",
                "--profiles-dir",
                ".",
                "--no-version-check",
            ],
            project,
        )
        if dbt.code != 0:
            raise SystemExit(f"dbt build failed in {project}:\n{dbt.output[-3000:]}")
        floe_runs.append(floe.seconds)
        dbt_runs.append(dbt.seconds)
        peaks.append(floe.peak_rss / 2**20)
    return {"floe_s": median(floe_runs), "dbt_s": median(dbt_runs), "floe_peak_mib": max(peaks)}
