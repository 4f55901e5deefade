"""Benchmark a developer's loop on a real project: edit a model, `dbt parse`, `floe-ci check`.

    python bench/bench_alternate.py [--project hubspot] [--rounds 4] [--work DIR]

The corpus project (../shared/corpus, as bench/bench_real.py unpacks it) is parsed by dbt
with the project's own profile into its `target/`, and checked by floe-ci, which parses
with its in-memory profile into `.floe/cache/parse-target/`. dbt keys its partial parse
(`partial_parse.msgpack`) by the profile, so the two keep one each and, after the first
round, each re-parses only the edited file: the rounds after the first print both as
partial parses. (When floe-ci parsed into `target/`, each replaced the other's file and
every round was two full parses.)
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.bench_real import BIN, ENV, PROJECTS, dbt, unpack  # noqa: E402

FULL_PARSE = "Unable to do partial parsing"


def _run(args: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, env=ENV, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1):  # 1: findings, which is fine here
        raise SystemExit(f"{args[0]} failed ({done.returncode}):\n{done.stdout[-3000:]}")
    return time.perf_counter() - start


def _partial(log: Path, before: int) -> bool:
    """Whether the parse that wrote `log` after byte `before` reused the partial parse."""
    with log.open("rb") as handle:
        handle.seek(before)
        return FULL_PARSE.encode() not in handle.read()


def _size(path: Path) -> int:
    return path.stat().st_size if path.is_file() else 0


def measure(corpus: Path, project: str, work: Path, rounds: int) -> list[dict[str, float]]:
    root = unpack(corpus, project, work)
    model = sorted((root.parent / "models").rglob("*.sql"))[0]
    check = [str(BIN / "floe-ci"), "check", "--fail-on", "never", "--format", "json=report.json"]
    dbt_log, floe_log = root / "logs" / "dbt.log", root / ".floe" / "logs" / "dbt.log"
    rows = []
    for number in range(rounds):
        model.write_text(model.read_text() + f"\n-- edited by the benchmark, round {number}\n")
        mark = _size(dbt_log)
        parse_s = _run(dbt(root, "parse"), root)
        dbt_partial = number > 0 and _partial(dbt_log, mark)
        mark = _size(floe_log)
        check_s = _run(check, root)
        floe_partial = number > 0 and _partial(floe_log, mark)
        rows.append({"dbt_parse_s": parse_s, "check_s": check_s})
        kind = {True: "partial", False: "full"}
        print(
            f"  round {number + 1}: dbt parse {parse_s:5.1f} s ({kind[dbt_partial]})   "
            f"floe-ci check {check_s:5.1f} s (its parse {kind[floe_partial]})",
            flush=True,
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", choices=sorted(PROJECTS), default="hubspot")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    parser.add_argument("--work", type=Path, default=Path("/tmp/floe-bench-alternate"))
    args = parser.parse_args()
    if args.rounds < 2:
        parser.error("--rounds must be at least 2 (the first round parses everything)")
    print(f"{args.project}: edit a model, `dbt parse`, `floe-ci check`, {args.rounds} rounds")
    rows = measure(args.corpus, args.project, args.work, args.rounds)[1:]
    parse_s = statistics.median(r["dbt_parse_s"] for r in rows)
    check_s = statistics.median(r["check_s"] for r in rows)
    print(f"after the first round (medians): dbt parse {parse_s:.1f} s, floe-ci check "
          f"{check_s:.1f} s")  # fmt: skip


if __name__ == "__main__":
    main()
