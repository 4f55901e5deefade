"""Benchmark column lineage on a generated dbt project (default 5,000 models). Prints figures.

    python -m bench.bench_lineage [--models 5000] [--work DIR] [--sample 50] [--full-compile]

Steps: generate the project (reused when present), `dbt parse` it (the dbt artifacts; timed
but not part of the check), then, each in a fresh process so imports and peak memory are
its own: lineage cold (empty cache), warm with nothing changed, warm with one model's SQL
changed (its columns unchanged), warm with one staging model gaining a column (its
descendants' parent columns change). A naive baseline, one `sqlglot.lineage` call per
column with a schema (sqlglot qualifies the query on every call), is timed on a sample
and extrapolated. `--full-compile` also times a plain `dbt compile` of every model, the
alternative way of obtaining compiled SQL. Wall time on a shared machine varies: CPU time
(user+sys of the process and its children) is printed beside it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
OFFLINE = {"DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}


# -- measured in a child process ---------------------------------------------------------------


def child_lineage(project_dir: Path, cache_dir: Path) -> dict[str, Any]:
    """Imports, manifest load, lineage, and every model's columns and unresolved ones."""
    wall, cpu = time.perf_counter(), time.process_time()
    from floe_ci.integrations.dbt.lineage import build_column_lineage
    from floe_ci.integrations.dbt.parse import load_manifest
    from floe_ci.integrations.dbt.project import read_project

    project = read_project(project_dir, str(project_dir))
    manifest = load_manifest(project.manifest_path)
    loaded_wall = time.perf_counter() - wall
    lineage = build_column_lineage(manifest, project, cache_dir)
    columns = sum(len(lineage.columns(uid) or []) for uid in lineage.models())
    unresolved = sum(len(lineage.unresolved(uid)) for uid in lineage.models())
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "wall": time.perf_counter() - wall,
        "load_manifest_wall": loaded_wall,
        "cpu": time.process_time() - cpu,
        "children_cpu": children.ru_utime + children.ru_stime,
        "maxrss_mb": own.ru_maxrss / 1024,
        "children_maxrss_mb": children.ru_maxrss / 1024,
        "stats": lineage.stats.__dict__,
        "columns": columns,
        "unresolved": unresolved,
    }


def child_naive(project_dir: Path, sample: int, seed: int) -> dict[str, Any]:
    """Per-column `sqlglot.lineage` on `sample` models; schema from our own engine."""
    import sqlglot
    from sqlglot.lineage import lineage as sqlglot_lineage
    from sqlglot.optimizer.qualify import qualify

    from floe_ci.integrations.dbt.compiled_sql import obtain_compiled_sql
    from floe_ci.integrations.dbt.lineage import build_column_lineage
    from floe_ci.integrations.dbt.parse import load_manifest
    from floe_ci.integrations.dbt.project import read_project

    project = read_project(project_dir, str(project_dir))
    manifest = load_manifest(project.manifest_path)
    ours = build_column_lineage(manifest, project, None)
    compiled = obtain_compiled_sql(manifest, project, project_dir / ".floe" / "bench-naive")
    compiled.finish()
    nodes = manifest["nodes"]
    sources = manifest.get("sources", {})
    tables: dict[str, tuple[str, str, str, list[str]]] = {}
    for uid, node in {**nodes, **sources}.items():
        cols = ours.columns(uid) if uid in nodes else None
        cols = cols or [c.lower() for c in node.get("columns") or {}]
        if node.get("resource_type") == "seed":
            header = (project_dir / node["original_file_path"]).read_text().splitlines()[0]
            cols = [c.strip().lower() for c in header.split(",")]
        name = str(node.get("alias") or node.get("identifier") or node.get("name"))
        tables[uid] = (str(node.get("database")), str(node.get("schema")), name, cols)

    def schema_of(uid: str) -> dict[str, dict[str, dict[str, dict[str, str]]]]:
        """Only the model's parents: the fairest schema (a 5,000-table one costs more)."""
        schema: dict[str, dict[str, dict[str, dict[str, str]]]] = {}
        for parent in nodes[uid]["depends_on"]["nodes"]:
            db, sch, name, cols = tables[parent]
            schema.setdefault(db, {}).setdefault(sch, {})[name] = {c: "varchar" for c in cols}
        return schema

    rng = random.Random(seed)
    chosen = rng.sample(sorted(u for u in compiled.sql), min(sample, len(compiled.sql)))
    calls = failures = 0
    start = time.process_time()
    wall = time.perf_counter()
    for uid in chosen:
        schema = schema_of(uid)
        for column in ours.columns(uid) or []:
            calls += 1
            try:
                sqlglot_lineage(column, compiled.sql[uid], schema=schema, dialect="duckdb")
            except Exception:  # the baseline's own failures are counted, not fatal
                failures += 1
    naive_cpu = time.process_time() - start
    naive_wall = time.perf_counter() - wall
    start = time.process_time()
    for uid in chosen:
        parsed = sqlglot.parse_one(compiled.sql[uid], read="duckdb")
        qualify(parsed, schema=schema_of(uid), dialect="duckdb")
    qualify_cpu = time.process_time() - start
    total_columns = sum(len(ours.columns(u) or []) for u in ours.models())
    return {
        "models": len(chosen),
        "calls": calls,
        "failures": failures,
        "cpu": naive_cpu,
        "wall": naive_wall,
        "qualify_ms_per_model": qualify_cpu / len(chosen) * 1000,
        "cpu_per_column": naive_cpu / max(calls, 1),
        "total_columns": total_columns,
        "total_models": len(ours.models()),
    }


def _child_main(argv: list[str]) -> None:
    kind, project = argv[0], Path(argv[1])
    if kind == "lineage":
        result = child_lineage(project, Path(argv[2]))
    else:
        result = child_naive(project, int(argv[2]), int(argv[3]))
    print("RESULT " + json.dumps(result))


# -- orchestration -------------------------------------------------------------------------------


def _run_child(*args: str) -> dict[str, Any]:
    env = {**os.environ, **OFFLINE, "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "bench.bench_lineage", "--child", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            result: dict[str, Any] = json.loads(line[len("RESULT ") :])
            return result
    raise SystemExit(f"benchmark child failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")


def _dbt(project: Path, *args: str) -> tuple[float, float]:
    """Run dbt with the floe parse profile in a child; (wall seconds, peak MB)."""
    from floe_ci.integrations.dbt.parse import write_parse_profile
    from floe_ci.integrations.dbt.project import read_project

    profiles = write_parse_profile(read_project(project, str(project)), project / ".floe")
    env = {**os.environ, **OFFLINE}
    dbt = str(Path(sys.executable).parent / "dbt")
    cmd = [dbt, *args, "--project-dir", str(project), "--profiles-dir", str(profiles)]
    cmd += ["--target", "parse", "--no-version-check", "--log-path", str(project / ".floe/logs")]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"dbt {args[0]} failed:\n{done.stdout[-3000:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, max(peak, before) / 1024


def _ensure_project(work: Path, models: int, seed: int) -> Path:
    from bench.generate_project import generate

    project = work / f"project-{models}-{seed}"
    marker = project / ".generated"
    # regenerate when the generator changed since
    version = hashlib.sha256((REPO / "bench" / "generate_project.py").read_bytes()).hexdigest()
    if not marker.is_file() or marker.read_text().strip() != version:
        generate(project, models, seed)
        marker.write_text(version + "\n")
        print(f"generated {models} models in {project}")
    return project


def _line(label: str, result: dict[str, Any]) -> str:
    stats = result["stats"]
    return (
        f"{label:<34} wall {result['wall']:6.2f} s (manifest load"
        f" {result['load_manifest_wall']:4.2f} s)  cpu {result['cpu']:6.2f} s"
        f" (+dbt child {result['children_cpu']:5.2f} s)  peak {result['maxrss_mb']:5.0f} MB"
        f" (dbt child {result['children_maxrss_mb']:4.0f} MB)  analysed {stats['analysed']:5d}"
        f"  cache hits {stats['cache_hits']:5d}  jinja in-process {stats['compiled_sql_jinja']}"
        f"  dbt-compiled {stats['compiled_sql_from_dbt']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="column lineage benchmark")
    parser.add_argument("--models", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--work", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "floe-bench-lineage"
    )
    parser.add_argument("--sample", type=int, default=50)
    parser.add_argument("--full-compile", action="store_true")
    args = parser.parse_args()

    project = _ensure_project(args.work, args.models, args.seed)
    parse_wall, parse_peak = _dbt(project, "parse")
    print(
        f"dbt parse (the dbt artifacts)        wall {parse_wall:6.2f} s  peak {parse_peak:5.0f} MB"
    )
    cache = project / ".floe" / "cache" / "lineage"
    shutil.rmtree(cache, ignore_errors=True)

    cold = _run_child("lineage", str(project), str(cache))
    print(_line("lineage cold (no cache)", cold))
    warm = _run_child("lineage", str(project), str(cache))
    print(_line("lineage warm (nothing changed)", warm))

    rng = random.Random(args.seed)
    models = sorted((project / "models").rglob("*.sql"))
    leaf = rng.choice([m for m in models if m.name.startswith(("dim_", "fct_", "agg_"))])
    # the staging model read by the most models: its new column reaches the most children
    texts = "\n".join(m.read_text() for m in models)
    staging = max(
        (m for m in models if m.name.startswith("stg_customers")),
        key=lambda m: texts.count(f"ref('{m.stem}')"),
    )
    results = {}
    for label, path, edit in (
        ("warm, one model's SQL changed", leaf, "\n-- edited by the benchmark\n"),
        ("warm, one staging model +1 column", staging, None),
    ):
        original = path.read_text()
        changed = (
            original + edit
            if edit
            else original.replace("    score\nfrom", "    score,\n    1 as bench_marker\nfrom")
        )
        path.write_text(changed)
        try:
            reparse, _ = _dbt(project, "parse")
            results[label] = _run_child("lineage", str(project), str(cache))
        finally:
            path.write_text(original)
        print(_line(label, results[label]) + f"  (dbt re-parse {reparse:.1f} s)")
    _dbt(project, "parse")  # leave the project as generated

    naive = _run_child("naive", str(project), str(args.sample), str(args.seed))
    extrapolated = naive["cpu_per_column"] * naive["total_columns"]
    print(
        f"naive per-column sqlglot.lineage     {naive['calls']} calls on {naive['models']} models:"
        f" {naive['cpu'] / naive['models'] * 1000:.0f} ms/model cpu,"
        f" {naive['cpu_per_column'] * 1000:.1f} ms/column; qualify alone"
        f" {naive['qualify_ms_per_model']:.1f} ms/model; {naive['failures']} calls failed"
    )
    print(
        f"  extrapolated to {naive['total_columns']} columns of {naive['total_models']} models:"
        f" {extrapolated:.0f} s cpu"
    )
    if args.full_compile:
        compile_wall, compile_peak = _dbt(project, "compile")
        print(
            f"dbt compile, every model (alternative) wall {compile_wall:6.2f} s"
            f"  peak {compile_peak:5.0f} MB"
        )

    one = results["warm, one model's SQL changed"]
    cold_total = cold["cpu"] + cold["children_cpu"]
    print("ratios")
    for label, ratio in (
        ("naive (extrapolated cpu) / cold own cpu", extrapolated / cold["cpu"]),
        ("naive (extrapolated cpu) / cold cpu with dbt child", extrapolated / cold_total),
        ("cold cpu with dbt child / warm one-change cpu", cold_total / one["cpu"]),
        ("cold wall / warm one-change wall", cold["wall"] / one["wall"]),
    ):
        print(f"  {label:<52} {ratio:8.1f}x")
    print(
        f"  columns {cold['columns']}, unresolved {cold['unresolved']},"
        f" failed models {cold['stats']['failed_models']}"
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child_main(sys.argv[2:])
    else:
        main()
