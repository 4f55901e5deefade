"""Every speed figure of issue 14 in one run, as ratios against dbt and dbt-bouncer.

    python -m bench all [--runs 5] [--quick] [--work DIR] [--markdown FILE] [--update-readme]

Measured, each against its yardstick in the same run, the two alternated run by run, the
median of `--runs` (peak memory: the largest run):

1. warm `check --base` of a one-model change at 5,000 models / one full `dbt parse` (< 0.5);
2. cold `check` of 50,000 models, manifest given, no `.floe/` caches (< 60 s, < 4 GiB);
3. warm `check` of 50,000 models, one model changed, its re-parsed manifest given (< 5 s);
4. warm `check` at 5,000 models (one change) / dbt-bouncer with 8 checks (< 0.6);
5. the growth of peak memory of the cold check at 5,000, 20,000 and 50,000 models (MiB per
   1,000 models, and the ratio of the two slopes: about 1 when it grows linearly);
6. `floe run` / `dbt build` on examples/shop.

The generated projects and their dbt manifests are made once and kept in `--work`, named
after the generator's parameters (bench/scale_project.py): `dbt parse` of 50,000 models
takes many minutes, so the 50,000-model figures compare with the parse that made them.
`--quick` is a smoke test: 500 models where 5,000 are, 1,000 where 50,000 are, 250/500/1,000
for the slope, one run unless `--runs` says otherwise; its figures prove nothing.

The table goes to standard output; `--markdown FILE` also writes it, `--update-readme`
rewrites the README's speed table between its two markers (both atomically).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench import figures as fig
from bench.figures import Figure
from bench.scale_project import DEFAULT_WORK, REPO, ScaleProject, prepare

GIB_MIB = 1024
PARTS = ("review", "scale", "bouncer", "run")


@dataclass(frozen=True)
class Sizes:
    review: int
    bouncer: int
    slope: tuple[int, int, int]  # the largest is also the "50,000 models" figure's

    @property
    def large(self) -> int:
        return self.slope[-1]


FULL = Sizes(review=5000, bouncer=5000, slope=(5000, 20_000, 50_000))
QUICK = Sizes(review=500, bouncer=500, slope=(250, 500, 1000))


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- the figures parts A and B of issue 14 own ------------------------------------------------


def review_figure(runs: int, work: Path, models: int) -> dict[str, float]:
    """Warm `check --base` one-change vs a full `dbt parse`: {"floe_s", "dbt_parse_s"}
    (bench/bench_review_warm.py, alternated runs, medians)."""
    from bench.bench_review_warm import measure

    got = measure(runs, work, models=models)
    return {"floe_s": got["check_base_warm_s"], "dbt_parse_s": got["dbt_parse_s"]}


def run_figure(runs: int, work: Path) -> dict[str, float]:
    """`floe run` vs `dbt build` on examples/shop: {"floe_s", "dbt_s"} (bench/bench_run.py,
    alternated runs, medians)."""
    from bench.bench_run import measure

    got = measure(runs, work)
    return {"floe_s": got["floe_run_s"], "dbt_s": got["dbt_build_s"]}


# -- measuring ----------------------------------------------------------------------------------


def _review_rows(runs: int, work: Path, sizes: Sizes) -> list[Figure]:
    say(f"review: warm `check --base` at {sizes.review:,} models vs full dbt parse ...")
    got = review_figure(runs, work, sizes.review)
    row = fig.ratio_figure(
        f"warm `check --base`, one model changed, {sizes.review:,} models",
        got["floe_s"],
        "full `dbt parse`",
        got["dbt_parse_s"],
        0.5,
    )
    return [row]


def _scale_rows(runs: int, work: Path, sizes: Sizes, notes: list[str]) -> list[Figure]:
    from bench.scale_figures import cold_check, warm_check

    projects: dict[int, ScaleProject] = {}
    for models in sizes.slope:
        projects[models] = prepare(models, work)
    colds = {}
    for models in sizes.slope:
        say(f"scale: cold check at {models:,} models, {runs} runs ...")
        colds[models] = cold_check(projects[models], runs)
    large = projects[sizes.large]
    say(f"scale: warm one-change check at {sizes.large:,} models, {runs} runs ...")
    warm = warm_check(large, runs)
    parse = large.parse_costs
    cold = colds[sizes.large]
    rows = [
        Figure(
            f"cold `check`, {sizes.large:,} models, manifest given, no caches",
            f"{fig.seconds(cold.seconds)}, {fig.mebibytes(cold.peak_mib)} peak",
            f"full `dbt parse` {fig.seconds(parse['full']['seconds'])}, "
            f"{fig.mebibytes(parse['full']['peak_mib'])} peak (when prepared)",
            cold.seconds / parse["full"]["seconds"],
            "< 60 s, < 4 GiB",
            cold.seconds < 60 and cold.peak_mib < 4 * GIB_MIB,
        ),
        Figure(
            f"warm `check`, {sizes.large:,} models, one model changed",
            f"{fig.seconds(warm.seconds)}, {fig.mebibytes(warm.peak_mib)} peak",
            f"partial `dbt parse` {fig.seconds(parse['partial']['seconds'])} (when prepared)",
            warm.seconds / parse["partial"]["seconds"],
            "< 5 s",
            warm.seconds < 5,
        ),
    ]
    slope = fig.memory_slope([(n, colds[n].peak_mib) for n in sizes.slope])
    a, b, c = (f"{n // 1000}k" if n >= 1000 else str(n) for n in slope.sizes)
    peaks = ", ".join(f"{fig.mebibytes(colds[n].peak_mib)}" for n in sizes.slope)
    rows.append(
        Figure(
            f"cold `check` peak memory per 1,000 models ({a}, {b}, {c}: {peaks})",
            f"{slope.low:.1f} MiB ({a}-{b}), {slope.high:.1f} MiB ({b}-{c})",
            "",
            slope.ratio,
            "ratio of slopes about 1 (linear)",
            None,
        )
    )
    times = ", ".join(f"{n:,}: {fig.seconds(colds[n].seconds)}" for n in sizes.slope)
    notes.append(f"Cold check time by size: {times}.")
    for models in sizes.slope:
        cost = projects[models].parse_costs
        notes.append(
            f"`dbt parse` of the {models:,}-model project when it was prepared: full "
            f"{fig.seconds(cost['full']['seconds'])} ({fig.mebibytes(cost['full']['peak_mib'])}"
            f" peak), partial after one change {fig.seconds(cost['partial']['seconds'])}."
        )
    return rows


def _bouncer_rows(runs: int, work: Path, sizes: Sizes) -> list[Figure]:
    from bench.scale_figures import warm_check_vs_bouncer

    scale = prepare(sizes.bouncer, work)
    say(f"bouncer: warm check vs dbt-bouncer at {sizes.bouncer:,} models, {runs} runs ...")
    floe, bouncer = warm_check_vs_bouncer(scale, runs)
    row = fig.ratio_figure(
        f"warm `check`, one model changed, {sizes.bouncer:,} models",
        floe.seconds,
        "dbt-bouncer (8 checks)",
        bouncer.seconds,
        0.6,
    )
    return [row]


def _run_rows(runs: int, work: Path) -> list[Figure]:
    say(f"run: `floe run` vs `dbt build` on examples/shop, {runs} runs ...")
    got = run_figure(runs, work)
    return [fig.ratio_figure("`floe run` of examples/shop", got["floe_s"], "`dbt build`",
                             got["dbt_s"], None)]  # fmt: skip


def measure_all(runs: int, work: Path, sizes: Sizes, parts: tuple[str, ...]) -> str:
    """Run the chosen parts and return the Markdown table with its notes."""
    from bench.scale_figures import byte_compile_floe

    byte_compile_floe()
    load_before = os.getloadavg()[0]
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    notes: list[str] = []
    steps: dict[str, Callable[[], list[Figure]]] = {
        "review": lambda: _review_rows(runs, work, sizes),
        "scale": lambda: _scale_rows(runs, work, sizes, notes),
        "bouncer": lambda: _bouncer_rows(runs, work, sizes),
        "run": lambda: _run_rows(runs, work),
    }
    rows: list[Figure] = []
    for part in PARTS:
        if part in parts:
            rows.extend(steps[part]())
    load_after = os.getloadavg()[0]
    notes.insert(
        0,
        f"`python -m bench all --runs {runs}`, {started}, {os.cpu_count()} cores, load average "
        f"{load_before:.1f} at the start and {load_after:.1f} at the end: the machine is "
        "shared, so under load every figure is pessimistic (the ratios compare runs made "
        "under the same load). Medians of the runs, alternated with the yardstick.",
    )
    return fig.render_markdown(rows, notes)


def _write(path: Path, text: str) -> None:
    from floe_ci.fsutil import write_atomic

    write_atomic(path, text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 2)[2],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    every = commands.add_parser("all", help="measure and print every figure of issue 14")
    every.add_argument(
        "--runs", type=int, help="runs per figure, median taken (default 5; 1 with --quick)"
    )
    every.add_argument("--quick", action="store_true", help="small projects: a smoke test")
    every.add_argument(
        "--work",
        type=Path,
        default=DEFAULT_WORK,
        help=f"where generated projects and manifests are kept (default {DEFAULT_WORK})",
    )
    every.add_argument("--markdown", type=Path, metavar="FILE", help="also write the table to FILE")
    every.add_argument(
        "--update-readme",
        action="store_true",
        help="rewrite README.md's speed table between its markers",
    )
    every.add_argument(
        "--only",
        action="append",
        choices=PARTS,
        help="measure only this part (repeatable); not with --update-readme",
    )
    args = parser.parse_args(argv)
    runs = args.runs if args.runs is not None else (1 if args.quick else 5)
    if runs < 1:
        parser.error("--runs must be at least 1")
    if args.update_readme and (args.only or args.quick):
        parser.error("--update-readme needs every figure of a full run (no --only, no --quick)")
    readme = REPO / "README.md"
    if args.update_readme:  # fail before minutes of measuring, not after
        try:
            fig.splice_between_markers(readme.read_text(encoding="utf-8"), "")
        except ValueError as exc:
            parser.error(f"{readme}: {exc}")
    table = measure_all(runs, args.work, QUICK if args.quick else FULL, tuple(args.only or PARTS))
    print(table, end="")
    if args.markdown is not None:
        _write(args.markdown, table)
    if args.update_readme:
        _write(readme, fig.splice_between_markers(readme.read_text(encoding="utf-8"), table))
        say(f"updated the speed table in {readme}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
