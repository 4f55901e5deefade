"""Benchmark `floe-ci check` on the real dbt projects of the corpus, against `dbt parse`.

    python -m bench.bench_real [--corpus ../shared/corpus] [--runs 5] [--work DIR]
                               [--project hubspot --project shopify] [--no-warehouse]

For each project (Fivetran's HubSpot and Shopify packages run through their
`integration_tests/` projects, packages installed in `dbt_packages/`; see the corpus
README), unpacked into a scratch folder, seeded into DuckDB with `dbt seed` and built there
with `dbt run` (unless `--no-warehouse`), with a floe.yaml and a handful of classified
upstream columns (added to the package's own properties YAML, as its maintainers would)
written by this script, it measures in one run, alternating the commands and taking medians:

- `dbt parse`: a full parse (no partial-parse file), the yardstick;
- cold check: `floe-ci check` on a fresh checkout (no manifest, no `.floe/` caches), which
  runs `dbt parse` itself, then the lineage of every model; printed as a ratio to `dbt parse`
  (target < 1.5x);
- warm check: `floe-ci check` again with nothing changed (target < 3 s; re-analyses nothing).

It prints the lineage coverage of the last cold check (models whose lineage resolved) and
its finding counts. Models whose macros read the warehouse compile against the project's
own dbt target (`--compile-target duckdb`) unless `--no-warehouse`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ENV = {**os.environ, "DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}

FLOE_YAML = """\
name: {name}
version: "1.0"
compute:
  target: duckdb
  properties:
    path: integration_tests.duckdb
transforms:
  - type: dbt
    path: .
governance:
  classification_source: dbt_meta
  policies:
    pii:
      production: {{action: restrict, requires_role: [pii_reader]}}
      non_production: {{action: mask}}
"""


@dataclass(frozen=True)
class Corpus:
    name: str
    # (properties file in the package, model, column, pii_type): classified by the test
    classified: tuple[tuple[str, str, str, str], ...]


PROJECTS = {
    "hubspot": Corpus(
        "hubspot",
        (
            ("models/staging/stg_hubspot__contact.yml", "stg_hubspot__contact", "email", "email"),
            (
                "models/staging/stg_hubspot__contact.yml",
                "stg_hubspot__contact",
                "first_name",
                "name",
            ),
            (
                "models/staging/stg_hubspot__contact.yml",
                "stg_hubspot__contact",
                "last_name",
                "name",
            ),
        ),
    ),
    "shopify": Corpus(
        "shopify",
        (
            ("models/rest/staging/stg_shopify.yml", "stg_shopify__customer", "email", "email"),
            ("models/rest/staging/stg_shopify.yml", "stg_shopify__customer", "first_name", "name"),
            ("models/rest/staging/stg_shopify.yml", "stg_shopify__customer", "last_name", "name"),
        ),
    ),
}


def classify(package: Path, file: str, model: str, column: str, pii_type: str) -> None:
    """Add `meta.floe` to one column of one model, in place (the file keeps its lines)."""
    path = package / file
    lines = path.read_text().splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if re.match(rf"\s*- name: {model}\s*$", line))
    model_indent = len(lines[start]) - len(lines[start].lstrip())
    for i in range(start + 1, len(lines)):
        line = lines[i]
        indent = len(line) - len(line.lstrip())
        if line.strip().startswith("- name:") and indent <= model_indent:
            break
        if re.match(rf"\s*- name: {column}\s*$", line):
            meta = (
                f"{' ' * (indent + 2)}meta: {{floe: {{classification: pii, "
                f"pii_type: {pii_type}, sensitivity: high}}}}\n"
            )
            lines.insert(i + 1, meta)
            path.write_text("".join(lines))
            return
    raise AssertionError(f"{column} of {model} not found in {file}")


def unpack(corpus: Path, project: str, work: Path) -> Path:
    """The runnable project folder of a fresh copy of the corpus project."""
    target = work / project
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    with tarfile.open(corpus / f"{project}.tar.gz") as archive:
        archive.extractall(target, filter="data")
    repository = target / f"dbt_{project}"
    root = repository / "integration_tests"
    # The project installs its own repository as a `local:` package (a copy in the
    # tarball): linked, the classifications added to the package's source are what dbt reads.
    installed = root / "dbt_packages" / project
    shutil.rmtree(installed)
    installed.symlink_to(Path("..") / "..", target_is_directory=True)
    for file, model, column, pii_type in PROJECTS[project].classified:
        classify(repository, file, model, column, pii_type)
    (root / "floe.yaml").write_text(FLOE_YAML.format(name=project))
    return root


def run(args: list[str], cwd: Path) -> tuple[float, int, str]:
    start = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, env=ENV, capture_output=True, text=True, check=False)
    return time.perf_counter() - start, done.returncode, done.stdout + done.stderr


def dbt(root: Path, *command: str) -> list[str]:
    return [str(BIN / "dbt"), *command, "--no-version-check", "--profiles-dir", str(root)]


def fresh(root: Path) -> None:
    """A fresh CI checkout: no manifest, no partial parse, no floe-ci caches."""
    shutil.rmtree(root / "target", ignore_errors=True)
    shutil.rmtree(root / ".floe", ignore_errors=True)


def measure(
    corpus: Path, project: str, work: Path, runs: int, warehouse: bool
) -> dict[str, object]:
    root = unpack(corpus, project, work)
    if warehouse:
        # The corpus README: a few seeds fail on DuckDB (quoted column names); the rest load.
        run(dbt(root, "seed"), root)
        # Built as in a developer's target: macros such as `fill_staging_columns` read the
        # columns of the models they select from (a few models fail on DuckDB by design).
        run(dbt(root, "run"), root)
    fresh(root)
    check = [str(BIN / "floe-ci"), "check", "--fail-on", "never", "--format", "json=report.json"]
    if warehouse:
        check += ["--compile-target", "duckdb"]
    parse_s: list[float] = []
    cold_s: list[float] = []
    warm_s: list[float] = []
    for _ in range(runs):
        fresh(root)
        seconds, code, output = run(dbt(root, "parse"), root)
        if code != 0:
            raise SystemExit(f"{project}: dbt parse failed:\n{output[-2000:]}")
        parse_s.append(seconds)
        fresh(root)
        seconds, code, output = run(check, root)
        if code not in (0, 1):
            raise SystemExit(f"{project}: floe-ci check failed ({code}):\n{output[-2000:]}")
        cold_s.append(seconds)
        seconds, code, output = run(check, root)
        warm_s.append(seconds)
    report = json.loads((root / "report.json").read_text())
    stats = report["stats"]
    counts: dict[str, int] = {}
    for finding in report["findings"]:
        counts[finding["rule_id"]] = counts.get(finding["rule_id"], 0) + 1
    parse = statistics.median(parse_s)
    return {
        "project": project,
        "dbt_parse_s": parse,
        "cold_check_s": statistics.median(cold_s),
        "cold_ratio": statistics.median(c / p for c, p in zip(cold_s, parse_s, strict=True)),
        "warm_check_s": statistics.median(warm_s),
        "warm_ratio": statistics.median(w / p for w, p in zip(warm_s, parse_s, strict=True)),
        "models": stats["models"],
        "models_resolved": stats["models"] - stats["models_unresolved"],
        "findings": dict(sorted(counts.items())),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    parser.add_argument("--project", action="append", choices=sorted(PROJECTS))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--no-warehouse", action="store_true", help="no dbt seed or run, no target")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        raise SystemExit(f"no corpus at {args.corpus} (pass --corpus DIR)")
    work = args.work or Path(tempfile.mkdtemp(prefix="floe-bench-real-"))
    print(f"runs: {args.runs} each, alternated; medians; work folder {work}")
    for project in args.project or sorted(PROJECTS):
        row = measure(args.corpus, project, work, args.runs, not args.no_warehouse)
        print(
            f"{project}: dbt parse {row['dbt_parse_s']:.2f} s | cold check "
            f"{row['cold_check_s']:.2f} s ({row['cold_ratio']:.2f}x dbt parse; target < 1.5x) | "
            f"warm check {row['warm_check_s']:.2f} s ({row['warm_ratio']:.2f}x; target < 3 s) | "
            f"lineage {row['models_resolved']} of {row['models']} models | "
            f"findings {row['findings']}"
        )
        print(json.dumps(row))


if __name__ == "__main__":
    main()
