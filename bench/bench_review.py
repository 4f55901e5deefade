"""Benchmark `floe-ci check --base` (the pull-request review) on a generated dbt project.

    python bench/bench_review.py [--models 5000] [--work DIR] [--runs 3]

Set-up (not counted): the project from bench/generate_project.py is committed to a fresh git
repository (the base); one `floe-ci check --base <base>` fills the caches as a CI job's
cache action would restore them: `.floe/cache/base/<sha>/` (the base's git worktree with its
manifest and lineage cache) and `.floe/cache/lineage/` (the head's lineage cache).

Each measured run changes one model in the working tree (a new comment, so dbt sees new
content), then:
- dbt: a plain `dbt parse` of the head with the same profile and flags floe-ci uses, timed
  in its own process; this is all dbt has to produce in such a run, because the base's
  manifest is in the restored cache;
- floe-ci: the model is changed again (so the head manifest is stale once more) and the
  whole `floe-ci check --base <base>` process is timed: it re-parses the head with dbt
  in-process, checks it, loads the base from the cache, and builds the Plan and the report.
The added time is floe-ci's wall time minus the plain `dbt parse` of the head (medians over
`--runs`); target < 3 s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.bench_check import BIN, ENV, timed_process  # noqa: E402

TARGET_SECONDS = 3.0
GITIGNORE = "target/\n.floe/\nlogs/\ndbt_packages/\n"


def git(args: list[str], cwd: Path) -> str:
    result = subprocess.run(
        ["git", *args], cwd=cwd, env=ENV, check=True, capture_output=True, text=True
    )
    return result.stdout.strip()


def ensure_repository(work: Path, models: int) -> tuple[Path, str]:
    """The generated project committed as the base; returns (folder, base commit)."""
    from bench.generate_project import generate

    project = work / f"review-{models}"
    if not (project / ".git").is_dir():
        print(f"generating a {models}-model project in {project} ...", flush=True)
        generate(project, models)
        (project / ".gitignore").write_text(GITIGNORE)
        git(["init", "-q", "-b", "main"], project)
        git(["add", "-A"], project)
        git(["-c", "user.name=bench", "-c", "user.email=bench@example.invalid",
             "commit", "-q", "-m", "base"], project)  # fmt: skip
    return project, git(["rev-parse", "HEAD"], project)


def changed_model(project: Path) -> Path:
    """One model with plain ref() SQL (a pull request's typical edit)."""
    for path in sorted((project / "models").rglob("*.sql")):
        text = path.read_text()
        if "{%" not in text and "ref(" in text:
            return path
    raise SystemExit("no plain model to change")


def edit(path: Path, base_text: str) -> None:
    path.write_text(base_text.rstrip() + f"\n-- changed by the benchmark at {time.time()}\n")


def plain_dbt_parse(project: Path) -> float:
    """A plain `dbt parse` (the CLI, its own process) with the profile floe-ci generates."""
    args = [
        str(BIN / "dbt"), "parse", "--project-dir", str(project),
        "--profiles-dir", str(project / ".floe" / "parse-profile"), "--target", "parse",
        "--no-version-check", "--log-path", str(project / ".floe" / "logs"),
    ]  # fmt: skip
    wall, _rss, code, out = timed_process(args, project)
    assert code == 0, out
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=5000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/floe-bench-review"))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    project, base = ensure_repository(args.work, args.models)
    model = changed_model(project)
    original = git(["show", f"{base}:{model.relative_to(project).as_posix()}"], project)
    model.write_text(original + "\n")
    check = [str(BIN / "floe-ci"), "check", "-c", "floe.yaml", "--base", base,
             "--fail-on", "never", "--format", "json=.floe/review.json",
             "--format", "markdown=.floe/review.md"]  # fmt: skip

    print("filling the caches (base worktree + manifest + lineage, head lineage) ...", flush=True)
    wall, _rss, code, out = timed_process(check, project)
    assert code == 0, out
    print(f"  first `floe-ci check --base` (cold, not counted): {wall:.1f} s")
    worktree = project / ".floe" / "cache" / "base" / base
    parsed = worktree / ".floe" / "cache" / "parse-target" / "manifest.json"
    assert parsed.is_file(), "the base cache was not filled"

    print(f"\none model changed ({model.relative_to(project)}), base cache present, "
          f"{args.runs} runs:")  # fmt: skip
    dbt_runs, floe_runs, rss_runs = [], [], []
    for run in range(args.runs):
        edit(model, original)
        dbt_s = plain_dbt_parse(project)
        edit(model, original)  # new content again: floe-ci must re-parse the head itself
        floe_s, rss, code, out = timed_process(check, project)
        assert code == 0, out
        dbt_runs.append(dbt_s)
        floe_runs.append(floe_s)
        rss_runs.append(rss)
        print(f"  run {run + 1}: dbt parse (head) {dbt_s:5.2f} s   floe-ci check --base "
              f"{floe_s:5.2f} s   added {floe_s - dbt_s:5.2f} s")  # fmt: skip
    model.write_text(original + "\n")

    report = json.loads((project / ".floe" / "review.json").read_text())
    dbt_s, floe_s = statistics.median(dbt_runs), statistics.median(floe_runs)
    added = floe_s - dbt_s
    print(f"\nmedians: plain `dbt parse` of the head {dbt_s:.2f} s (the only manifest dbt has to "
          "produce: the base's is cached)")  # fmt: skip
    print(f"         whole `floe-ci check --base` process {floe_s:.2f} s (includes its own "
          "in-process `dbt parse` of the head)")  # fmt: skip
    verdict = "met" if added < TARGET_SECONDS else "NOT met"
    print(f"added by floe-ci: {added:.2f} s   target < {TARGET_SECONDS:.0f} s: {verdict}")
    print(f"peak RSS of floe-ci: {max(rss_runs) / 2**20:,.0f} MiB; "
          f"{len(report['findings'])} findings in the report")  # fmt: skip


if __name__ == "__main__":
    main()
