"""The pure part of `python -m bench all`: rows, the memory slope, the README splice."""

from __future__ import annotations

import pytest

from bench.figures import (
    README_BEGIN,
    README_END,
    Figure,
    memory_slope,
    ratio_figure,
    render_markdown,
    splice_between_markers,
)


def test_a_ratio_row_says_whether_it_stays_under_its_limit() -> None:
    under = ratio_figure("warm check", 0.9, "dbt-bouncer", 1.8, 0.6)
    over = ratio_figure("warm check", 1.5, "dbt-bouncer", 1.8, 0.6)
    assert (under.ratio, under.met, under.target) == (0.5, True, "< 0.6")
    assert over.met is False
    assert ratio_figure("floe run", 30.0, "dbt build", 12.0, None).met is None


def test_the_slope_is_per_thousand_models_and_linear_growth_gives_a_ratio_of_one() -> None:
    slope = memory_slope([(20_000, 700.0), (5000, 250.0), (50_000, 1600.0)])
    assert slope.sizes == (5000, 20_000, 50_000)
    assert slope.low == pytest.approx(30.0)  # (700 - 250) MiB over 15,000 models
    assert slope.high == pytest.approx(30.0)
    assert slope.ratio == pytest.approx(1.0)
    faster = memory_slope([(5000, 250.0), (20_000, 700.0), (50_000, 2500.0)])
    assert faster.ratio == pytest.approx(2.0)


@pytest.mark.parametrize(
    "points", [[(5000, 1.0), (20_000, 2.0)], [(5000, 1.0), (5000, 2.0), (50_000, 3.0)]]
)
def test_the_slope_needs_three_different_sizes(points: list[tuple[int, float]]) -> None:
    with pytest.raises(ValueError, match="three"):
        memory_slope(points)


def test_the_table_shows_a_missed_target_and_escapes_pipes() -> None:
    rows = [
        Figure("a | b", "1.00 s", "dbt parse 4.00 s", 0.25, "< 0.5", True),
        Figure("cold", "70.0 s", "", None, "< 60 s", False),
    ]
    table = render_markdown(rows, ["Measured under load."])
    lines = table.splitlines()
    assert lines[0].startswith("| figure | floe-ci |")
    assert lines[2] == "| a \\| b | 1.00 s | dbt parse 4.00 s | 0.25 | < 0.5 | met |"
    assert lines[3] == "| cold | 70.0 s |  |  | < 60 s | **missed** |"
    assert table.endswith("\nMeasured under load.\n")


def test_the_readme_is_rewritten_only_between_its_markers() -> None:
    document = f"# Title\n\nbefore\n{README_BEGIN}\nold table\n{README_END}\nafter\n"
    spliced = splice_between_markers(document, "| new |\n")
    assert spliced == f"# Title\n\nbefore\n{README_BEGIN}\n| new |\n{README_END}\nafter\n"
    assert splice_between_markers(spliced, "| new |\n") == spliced  # idempotent


@pytest.mark.parametrize(
    "document",
    [
        "no markers at all\n",
        f"{README_END}\n{README_BEGIN}\n",
        f"{README_BEGIN}\n{README_BEGIN}\n{README_END}\n",
    ],
)
def test_missing_doubled_or_reversed_markers_are_refused(document: str) -> None:
    with pytest.raises(ValueError, match="bench:speed"):
        splice_between_markers(document, "| new |")


def test_the_readme_has_exactly_one_marker_pair() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    splice_between_markers(readme, "| table |")  # raises when the markers are not usable


@pytest.mark.parametrize(
    "argv",
    [
        ["all", "--update-readme", "--quick"],
        ["all", "--update-readme", "--only", "run"],
        ["all", "--runs", "0"],
    ],
)
def test_the_bench_refuses_options_that_cannot_give_the_readme_table_before_measuring(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    from bench.__main__ import main

    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert "error:" in capsys.readouterr().err
