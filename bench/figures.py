"""The figures `python -m bench all` prints, and the Markdown table made of them (pure).

Nothing here measures or touches a file: the measuring modules hand in numbers, this module
turns them into rows, computes the memory slope, renders the table and splices it into the
README between its markers.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

README_BEGIN = "<!-- bench:speed:begin (generated: python -m bench all --update-readme) -->"
README_END = "<!-- bench:speed:end -->"


@dataclass(frozen=True)
class Figure:
    """One row: what floe-ci took, against what (the yardstick measured in the same run)."""

    label: str
    floe: str  # floe-ci's figure, formatted with its unit
    yardstick: str = ""  # the peer's figure ("dbt parse 41.2 s"), empty when none
    ratio: float | None = None  # floe-ci / yardstick
    target: str = ""  # "< 0.5", "< 60 s and < 4 GiB"
    met: bool | None = None  # None: nothing to meet


def median(values: Sequence[float]) -> float:
    if not values:
        raise ValueError("no runs to take the median of")
    return float(statistics.median(values))


def seconds(value: float) -> str:
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


def mebibytes(value: float) -> str:
    return f"{value:,.0f} MiB"


@dataclass(frozen=True)
class MemorySlope:
    """Peak RSS growth per 1,000 models between the three sizes, and how the two compare."""

    sizes: tuple[int, int, int]
    low: float  # MiB per 1,000 models between the smallest and the middle size
    high: float  # between the middle and the largest
    ratio: float  # high / low: about 1 when memory grows linearly, above 1 when faster


def memory_slope(points: Sequence[tuple[int, float]]) -> MemorySlope:
    """From (models, peak MiB) at three sizes; sizes must grow strictly."""
    if len(points) != 3:
        raise ValueError(f"the slope needs three sizes, got {len(points)}")
    (n1, m1), (n2, m2), (n3, m3) = sorted(points)
    if not n1 < n2 < n3:
        raise ValueError(f"three different sizes are needed, got {n1}, {n2}, {n3}")
    low = (m2 - m1) / ((n2 - n1) / 1000)
    high = (m3 - m2) / ((n3 - n2) / 1000)
    ratio = high / low if low > 0 else float("inf")
    return MemorySlope((n1, n2, n3), low, high, ratio)


def ratio_figure(
    label: str,
    floe_s: float,
    peer_name: str,
    peer_s: float,
    limit: float | None,
) -> Figure:
    """A row comparing floe-ci's seconds with a peer's; `limit` is the ratio to stay under."""
    ratio = floe_s / peer_s
    return Figure(
        label,
        seconds(floe_s),
        f"{peer_name} {seconds(peer_s)}",
        ratio,
        "" if limit is None else f"< {limit:g}",
        None if limit is None else ratio < limit,
    )


def render_markdown(figures: Sequence[Figure], notes: Sequence[str] = ()) -> str:
    """The table (and the notes under it), as the README's speed section shows it."""
    lines = [
        "| figure | floe-ci | yardstick (same run) | ratio | target | |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for figure in figures:
        ratio = "" if figure.ratio is None else f"{figure.ratio:.2f}"
        verdict = {True: "met", False: "**missed**", None: ""}[figure.met]
        cells = [figure.label, figure.floe, figure.yardstick, ratio, figure.target, verdict]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    text = "\n".join(lines) + "\n"
    if notes:
        text += "\n" + "\n\n".join(notes) + "\n"  # a paragraph each
    return text


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def splice_between_markers(document: str, block: str) -> str:
    """`document` with everything between README_BEGIN and README_END replaced by `block`.

    The markers themselves and every byte outside them stay as they are."""
    begins, ends = document.count(README_BEGIN), document.count(README_END)
    if begins != 1 or ends != 1:
        raise ValueError(
            f"expected one `{README_BEGIN}` and one `{README_END}` line, found {begins} and {ends}"
        )
    start = document.index(README_BEGIN) + len(README_BEGIN)
    stop = document.index(README_END)
    if stop < start:
        raise ValueError(f"`{README_END}` comes before `{README_BEGIN}`")
    return document[:start] + "\n" + block.strip("\n") + "\n" + document[stop:]
