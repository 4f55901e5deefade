"""Benchmark `floe-ci check` on a generated 5,000-model dbt project, side by side with dbt-bouncer.

    python bench/bench_check.py [--models 5000] [--work DIR] [--runs 3]

Prints, after the dbt artifacts exist (`dbt parse` is run first and not counted):
- cold: no lineage cache; the check's own work (load floe.yaml and the manifest, classify,
  column lineage of every model, rules, render every format), phase by phase, and the whole
  `floe-ci check` process; target < 20 s;
- warm: one model changed (and re-parsed), caches from the cold run present: the whole
  `floe-ci check` process vs `dbt-bouncer` with 8 manifest checks on the same manifest,
  alternated `--runs` times each (medians); target: floe-ci faster. Before each floe-ci run
  the cache is put back as the cold run left it, so every run meets the changed model
  (its lineage analysed again, sqlglot imported); a last series without that reset shows
  a check re-run with nothing changed since the previous check;
- peak memory (max RSS of each process); target < 1 GiB.
Uses bench/generate_project.py to create the project.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ENV = {**os.environ, "DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
GIB = 1024**3

# Eight manifest checks a team might run in CI; dbt-bouncer reads the same manifest.json.
BOUNCER_CONFIG = """\
dbt_artifacts_dir: {artifacts}
manifest_checks:
  - name: check_model_description_populated
  - name: check_model_names
    model_name_pattern: ^[a-z][a-z0-9_]*$
  - name: check_model_columns_have_types
  - name: check_model_has_properties_file
  - name: check_model_max_upstream_dependencies
    max_upstream_models: 10
  - name: check_model_code_does_not_contain_regexp_pattern
    regexp_pattern: .*[i][f][n][u][l][l].*
  - name: check_model_max_number_of_lines
  - name: check_model_does_not_use_cartesian_join
"""


def timed_process(args: list[str], cwd: Path) -> tuple[float, int, int, str]:
    """(wall seconds, peak RSS bytes, exit code, stdout) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        args, cwd=cwd, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert proc.stdout is not None
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    return wall, usage.ru_maxrss * 1024, proc.returncode, output


def worker(config: Path) -> None:
    """Run the check's phases in this process and print their timings as JSON."""
    phases: dict[str, float] = {}
    mark = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        phases[name] = now - mark
        mark = now

    from floe_ci.app.check import repository_base
    from floe_ci.app.compile import dbt_project_of, state_dir_for
    from floe_ci.app.spec_file import load_spec
    from floe_ci.governance.evaluate import CheckOptions, evaluate
    from floe_ci.integrations.dbt.column_locations import FastColumnLocations
    from floe_ci.integrations.dbt.lineage import build_column_lineage
    from floe_ci.integrations.dbt.parse import load_manifest
    from floe_ci.report import FORMATS, render

    lap("import")
    loaded = load_spec(config, "floe.yaml")
    project = dbt_project_of(loaded, "floe.yaml")
    assert project is not None
    manifest = load_manifest(project.manifest_path)
    lap("load floe.yaml + manifest")
    lineage = build_column_lineage(manifest, project, state_dir_for(config) / "cache" / "lineage")
    lap("column lineage")
    options = CheckOptions(config_file="floe.yaml", base_path=repository_base(config))
    root = config.resolve().parent
    locations = FastColumnLocations(
        project.path, root, state_dir_for(config) / "cache" / "locations"
    )
    result = evaluate(loaded.spec, manifest, lineage, options, locate_column=locations)
    locations.save()  # as `floe-ci check` does: the warm runs find it
    lap("classify + rules")
    sizes = {fmt: len(render(result, fmt)) for fmt in FORMATS}
    lap("render 5 formats")
    print(
        json.dumps(
            {
                "phases": phases,
                "findings": len(result.findings),
                "counts": result.counts(),
                "stats": result.stats.model_dump(),
                "lineage": {
                    k: getattr(lineage.stats, k)
                    for k in ("analysed", "cache_hits", "compiled_sql_from_dbt")
                },
                "bytes": sizes,
            }
        )
    )


def ensure_project(work: Path, models: int) -> Path:
    sys.path.insert(0, str(REPO))
    from bench.generate_project import generate

    project = work / f"project-{models}"
    if not (project / "floe.yaml").is_file():
        print(f"generating a {models}-model project in {project} ...", flush=True)
        generate(project, models)
    return project


def dbt_parse(project: Path) -> float:
    """`dbt parse` in a child process, as CI does before the check (not counted)."""
    code = (
        "from pathlib import Path\n"
        "from floe_ci.app.compile import state_dir_for\n"
        "from floe_ci.integrations.dbt.parse import run_dbt_parse\n"
        "from floe_ci.integrations.dbt.project import read_project\n"
        f"project = Path({str(project)!r})\n"
        "run_dbt_parse(read_project(project, 'dbt_project.yml'), "
        "state_dir_for(project / 'floe.yaml'))\n"
    )
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=ENV, check=True)
    return time.perf_counter() - start


def change_one_model(project: Path) -> Path:
    """Edit one model with plain ref() SQL, as a pull request would."""
    for path in sorted((project / "models").rglob("*.sql")):
        text = path.read_text()
        if "{%" not in text and "ref(" in text:
            path.write_text(text.rstrip() + f"\n-- changed by the benchmark at {time.time()}\n")
            return path
    raise SystemExit("no plain model to change")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=5000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/floe-bench-check"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker)
        return

    project = ensure_project(args.work, args.models)
    config = project / "floe.yaml"
    # Byte-compile floe_ci as `pip install` does for a wheel: with PYTHONDONTWRITEBYTECODE
    # set (as here), every run would otherwise compile its ~50 modules from source, while
    # dbt-bouncer's installed modules already have their .pyc files.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "floe_ci")], check=True)
    print(f"dbt parse (artifacts, not counted): {dbt_parse(project):.1f} s", flush=True)
    shutil.rmtree(project / ".floe" / "cache", ignore_errors=True)

    wall, cold_rss, code, out = timed_process(
        [sys.executable, str(Path(__file__).resolve()), "--worker", str(config)], project
    )
    assert code == 0, out
    report: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    print(f"\ncold check, {args.models} models, no cache (in one process):")
    for phase, seconds in report["phases"].items():
        print(f"  {phase:<28} {seconds:7.2f} s")
    work = sum(v for k, v in report["phases"].items() if k != "import")
    print(f"  {'check work (excl. imports)':<28} {work:7.2f} s   target < 20 s")
    print(f"  {'whole process':<28} {wall:7.2f} s   peak RSS {cold_rss / 2**20:,.0f} MiB")
    print(f"  lineage: {report['lineage']}  findings: {report['counts']}")

    # Warm: one model changed, re-parsed (artifacts), lineage cache from the cold run.
    changed = change_one_model(project)
    print(f"\nchanged {changed.relative_to(project)}; dbt parse: {dbt_parse(project):.1f} s")
    cache = project / ".floe" / "cache"
    before_change = project / ".floe" / "cache-after-cold-run"
    shutil.rmtree(before_change, ignore_errors=True)
    shutil.copytree(cache, before_change)
    # Outside the project: a new .yml inside it would make the manifest stale.
    bouncer_config = args.work / "dbt-bouncer.yml"
    bouncer_config.write_text(BOUNCER_CONFIG.format(artifacts=project / "target"))
    # the manifest dbt-bouncer reads (floe-ci would otherwise parse into its own folder)
    floe_cmd = [str(BIN / "floe-ci"), "check", "-c", "floe.yaml", "--fail-on", "never",
                "--manifest", str(project / "target" / "manifest.json"),
                "--format", "json=.floe/check.json"]  # fmt: skip
    bouncer_cmd = [str(BIN / "dbt-bouncer"), "--config-file", str(bouncer_config)]
    floe_runs: list[tuple[float, int]] = []
    bouncer_runs: list[tuple[float, int]] = []
    for _ in range(args.runs):
        shutil.rmtree(cache)
        shutil.copytree(before_change, cache)
        wall, rss, code, out = timed_process(floe_cmd, project)
        assert code == 0, out
        floe_runs.append((wall, rss))
        wall, rss, code, out = timed_process(bouncer_cmd, project)
        assert code in (0, 1), out  # 1: some checks failed, which is fine here
        bouncer_runs.append((wall, rss))
    checked = json.loads((project / ".floe" / "check.json").read_text())
    floe_s = statistics.median(w for w, _ in floe_runs)
    bouncer_s = statistics.median(w for w, _ in bouncer_runs)
    floe_rss = max(r for _, r in floe_runs)
    bouncer_rss = max(r for _, r in bouncer_runs)
    print(f"warm, one model changed, {args.runs} runs each, alternated (median wall):")
    print(f"  floe-ci check (whole process)  {floe_s:6.2f} s   peak RSS {floe_rss / 2**20:,.0f} MiB"
          f"   ({len(checked['findings'])} findings)")  # fmt: skip
    print(f"  dbt-bouncer, 8 manifest checks {bouncer_s:6.2f} s   peak RSS "
          f"{bouncer_rss / 2**20:,.0f} MiB")  # fmt: skip
    print(f"  ratio floe-ci / dbt-bouncer    {floe_s / bouncer_s:6.2f}   target < 1")
    again = [timed_process(floe_cmd, project) for _ in range(args.runs)]
    assert all(code == 0 for _, _, code, _ in again)
    again_s = statistics.median(w for w, _, _, _ in again)
    print(f"  floe-ci check re-run, nothing changed since the last check: {again_s:.2f} s "
          f"(ratio {again_s / bouncer_s:.2f})")  # fmt: skip
    floe_rss = max(floe_rss, *(rss for _, rss, _, _ in again))
    peak = max(cold_rss, floe_rss)
    verdict = "ok" if peak < GIB else "OVER"
    print(f"\npeak memory of floe-ci: cold {cold_rss / 2**20:,.0f} MiB, warm "
          f"{floe_rss / 2**20:,.0f} MiB (target < 1,024 MiB): {verdict}")  # fmt: skip


if __name__ == "__main__":
    main()
