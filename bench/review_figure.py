"""Warm `check --base` of a one-model change against one full `dbt parse` (interim module).

Part A of issue 14 brings its own measurement (partial parsing in CI, the content digest);
until it is merged, `python -m bench all` takes the figure from here (see `review_figure` in
bench/__main__.py). It reuses bench/bench_review.py's set-up: the generated project
committed as the base, one `check --base` (not counted) filling the caches as a CI job
restores them. Then, alternated, `runs` times:

- a full `dbt parse` of the head (`--no-partial-parse`, floe-ci's parse profile, a target
  folder of its own so it disturbs nothing floe-ci keeps): the yardstick;
- one model edited again, then the whole `floe-ci check --base` process, which re-parses
  the head itself and reads the base from the cache.
"""

from __future__ import annotations

from pathlib import Path

from bench.bench_review import changed_model, edit, ensure_repository, git
from bench.figures import median
from bench.scale_project import BIN, Measured, run_measured


def _full_dbt_parse(project: Path, scratch: Path) -> Measured:
    args = [
        str(BIN / "dbt"), "parse", "--no-partial-parse", "--project-dir", str(project),
        "--profiles-dir", str(project / ".floe" / "parse-profile"), "--target", "parse",
        "--no-version-check", "--target-path", str(scratch / "target"),
        "--log-path", str(scratch / "logs"),
    ]  # fmt: skip
    measured = run_measured(args, project)
    if measured.code != 0:
        raise SystemExit(f"dbt parse failed in {project}:\n{measured.output[-3000:]}")
    return measured


def measure(runs: int, work: Path, models: int = 5000) -> dict[str, float]:
    """Medians over `runs`: {"floe_s", "dbt_parse_s", "floe_peak_mib"}."""
    project, base = ensure_repository(work, models)
    model = changed_model(project)
    original = git(["show", f"{base}:{model.relative_to(project).as_posix()}"], project)
    check = [str(BIN / "floe-ci"), "check", "-c", "floe.yaml", "--base", base,
             "--fail-on", "never", "--format", "json=.floe/review.json",
             "--format", "markdown=.floe/review.md"]  # fmt: skip
    model.write_text(original + "\n")
    first = run_measured(check, project)  # fills the caches as CI restores them
    if first.code != 0:
        raise SystemExit(f"floe-ci check --base failed in {project}:\n{first.output[-3000:]}")
    scratch = work / f"review-{models}-full-parse"
    floe_runs, dbt_runs, peaks = [], [], []
    for _ in range(runs):
        edit(model, original)
        dbt_runs.append(_full_dbt_parse(project, scratch).seconds)
        edit(model, original)  # new content again: floe-ci must re-parse the head itself
        floe = run_measured(check, project)
        if floe.code != 0:
            raise SystemExit(f"floe-ci check --base failed:\n{floe.output[-3000:]}")
        floe_runs.append(floe.seconds)
        peaks.append(floe.peak_rss / 2**20)
    model.write_text(original + "\n")
    return {
        "floe_s": median(floe_runs),
        "dbt_parse_s": median(dbt_runs),
        "floe_peak_mib": max(peaks),
    }
