"""Benchmark a warm `floe-ci check --base` of a one-model change against one full `dbt parse`.

    python bench/bench_review_warm.py [--models 5000] [--work DIR] [--runs 5]

Set-up (not counted): the project from bench/generate_project.py committed to a git
repository (the base), and one `floe-ci check --base` that fills what a CI job restores with
actions/cache: the base's worktree, manifest and result under `.floe/cache/base/<sha>/`, the
head's lineage cache under `.floe/cache/`, and the head's parse in
`.floe/cache/parse-target/` (its manifest, `floe-inputs.json` and dbt's
`partial_parse.msgpack`): all of `.floe/cache/`.

Each run, alternating:
- dbt: one full `dbt parse` of the head (`--no-partial-parse`, the profile floe-ci generates,
  a target folder of its own so floe-ci's is left alone), in its own process;
- floe-ci: one model changed (new content), then the whole `floe-ci check --base <base>`
  process: it sees the changed content, re-parses the head with dbt's partial parse, checks
  it, reads the base's result from the cache and builds the Plan and the reports.
The figure is the median of each pair's ratio, floe-ci / dbt (the ratio of the medians is
printed too); target < 0.5. The machine is shared:
figures taken under load are pessimistic for both sides.

`measure(runs, work)` is what `python -m bench all` calls.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.bench_check import BIN, timed_process  # noqa: E402
from bench.bench_review import changed_model, edit, ensure_repository, git  # noqa: E402

TARGET_RATIO = 0.5
MODELS = 5000


def full_dbt_parse(project: Path) -> float:
    """One full `dbt parse` (no partial parse) with floe-ci's parse profile, in a target
    folder of its own."""
    args = [
        str(BIN / "dbt"), "parse", "--project-dir", str(project),
        "--profiles-dir", str(project / ".floe" / "parse-profile"), "--target", "parse",
        "--no-partial-parse", "--target-path", str(project / ".floe" / "bench-dbt-target"),
        "--no-version-check", "--log-path", str(project / ".floe" / "bench-dbt-logs"),
    ]  # fmt: skip
    wall, _rss, code, out = timed_process(args, project)
    assert code == 0, out
    return wall


def measure(runs: int, work: Path, models: int = MODELS) -> dict[str, float]:
    """Medians over `runs` alternating runs: {"dbt_parse_s", "check_base_warm_s", "ratio" (the
    median of each pair's ratio), "ratio_of_medians"}."""
    project, base = ensure_repository(work, models)
    model = changed_model(project)
    original = git(["show", f"{base}:{model.relative_to(project).as_posix()}"], project)
    check = [str(BIN / "floe-ci"), "check", "-c", "floe.yaml", "--base", base,
             "--fail-on", "never", "--format", "json=.floe/review.json"]  # fmt: skip
    edit(model, original)
    _wall, _rss, code, out = timed_process(check, project)  # fills the caches, not counted
    assert code == 0, out
    parsed = project / ".floe" / "cache" / "parse-target"
    assert (parsed / "partial_parse.msgpack").is_file(), "no partial parse file"
    dbt_runs, floe_runs = [], []
    for run in range(runs):
        dbt_runs.append(full_dbt_parse(project))
        edit(model, original)  # new content: the head's manifest is stale
        floe_s, _rss, code, out = timed_process(check, project)
        assert code == 0, out
        floe_runs.append(floe_s)
        print(f"  run {run + 1}: full dbt parse {dbt_runs[-1]:5.2f} s   warm floe-ci check "
              f"--base (one model changed) {floe_s:5.2f} s", flush=True)  # fmt: skip
    model.write_text(original)
    dbt_s, floe_s = statistics.median(dbt_runs), statistics.median(floe_runs)
    # Each pair ran back to back: its ratio is the fairer figure on a machine whose load moves.
    pairs = statistics.median(f / d for f, d in zip(floe_runs, dbt_runs, strict=True))
    return {
        "dbt_parse_s": dbt_s,
        "check_base_warm_s": floe_s,
        "ratio": pairs,
        "ratio_of_medians": floe_s / dbt_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=MODELS)
    parser.add_argument("--work", type=Path, default=Path("/tmp/floe-bench-review"))
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    figures = measure(args.runs, args.work, args.models)
    verdict = "met" if figures["ratio"] < TARGET_RATIO else "NOT met"
    print(
        f"\nmedians at {args.models:,} models: full `dbt parse` {figures['dbt_parse_s']:.2f} s, "
        f"warm `floe-ci check --base` (one model changed) {figures['check_base_warm_s']:.2f} s"
    )
    print(f"ratio (median of the pairs) {figures['ratio']:.2f}, of the medians "
          f"{figures['ratio_of_medians']:.2f}   target < {TARGET_RATIO}: {verdict}")  # fmt: skip


if __name__ == "__main__":
    main()
