"""The pull-request comment: a headline verdict, then sections in <details>, under a size cap.

GitHub rejects a comment over 65,536 characters. When the full text is longer, whole sections
are dropped in DROP_ORDER: the findings that existed before the change first (the headline
still counts them), then the lineage graph, ..., the plan's policy impact last but one; if
the findings that must stay (the new ones in a review, every one in a plain check) are still
too long, their last lines are cut. The comment always says what was cut and where the full
report is. The template is `reports/pr-comment.md`.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from dataclasses import dataclass, field

GITHUB_COMMENT_LIMIT = 65_536
# The hidden first line by which every run finds the comment it keeps up to date.
STICKY_MARKER = "<!-- floe-ci:sticky -->"

# Least important first. Findings that existed before the change go before any plan section:
# a reviewer judges the change. The findings that must be seen (new-findings in a review,
# policy-verdicts in a plain check) are never dropped, only cut by lines (CUT_BY_LINES).
DROP_ORDER: tuple[str, ...] = (
    "existing-findings",
    "lineage-graph",
    "lineage-changes",
    "deploy-plan",
    "stats",
    "waived-findings",
    "column-changes",
    "model-changes",
    "config-changes",
    "policy-impact",
    "new-findings",
    "policy-verdicts",
)
CUT_BY_LINES = ("new-findings", "policy-verdicts")


@dataclass(frozen=True)
class CommentSection:
    """One collapsible part of the comment; `key` is one of DROP_ORDER."""

    key: str
    title: str
    body: str
    open: bool = False

    def __post_init__(self) -> None:
        if self.key not in DROP_ORDER:
            raise ValueError(
                f"unknown comment section {self.key!r}; known: {', '.join(DROP_ORDER)}"
            )

    def render(self) -> str:
        # Blank lines around the body: GitHub renders Markdown inside <details> only then.
        opened = " open" if self.open else ""
        summary = f"<details{opened}><summary><b>{self.title}</b></summary>"
        return f"{summary}\n\n{self.body.strip()}\n\n</details>\n"


@dataclass(frozen=True)
class RenderedComment:
    text: str
    dropped: list[str] = field(default_factory=list)
    lines_cut: int = 0

    @property
    def complete(self) -> bool:
        return not self.dropped and not self.lines_cut


def render_comment(
    headline: str,
    sections: list[CommentSection],
    footer: str,
    *,
    full_report_at: str = "the job summary and the run's `floe-ci` artifact",
    limit: int = GITHUB_COMMENT_LIMIT,
    template: string.Template,
) -> RenderedComment:
    """The comment text, at most `limit` characters, cutting detail in DROP_ORDER.

    `template` is `reports/pr-comment.md` (floe_ci.app.templates reads it).
    """
    kept = list(sections)  # on screen in the caller's order; dropped in DROP_ORDER
    dropped: list[str] = []

    def fill(parts: list[CommentSection], notice: str) -> str:
        return template.substitute(
            marker=STICKY_MARKER,
            headline=headline,
            sections="\n".join(p.render() for p in parts),
            cut_notice=notice,
            footer=footer,
        )

    def notice(names: list[str], lines: int = 0) -> str:
        if not names and not lines:
            return ""
        what = ", ".join(names)
        if lines:
            cut = "line" if lines == 1 else "lines"
            what = f"{what}, and {lines} {cut} of the findings".lstrip(", ")
        return (
            f"> [!NOTE]\n> Cut to fit GitHub's {limit:,}-character comment limit: {what}. "
            f"The full report is in {full_report_at}.\n"
        )

    text = fill(kept, "")
    for key in (k for k in DROP_ORDER if k not in CUT_BY_LINES):
        if len(text) <= limit:
            return RenderedComment(text, dropped)
        victims = [s for s in kept if s.key == key]
        if victims:
            kept = [s for s in kept if s.key != key]
            dropped += [s.title for s in victims]
            text = fill(kept, notice(dropped))
    if len(text) <= limit:
        return RenderedComment(text, dropped)
    return _cut_lines(kept, dropped, fill, notice, limit)


def _cut_lines(
    kept: list[CommentSection],
    dropped: list[str],
    fill: Callable[[list[CommentSection], str], str],
    notice: Callable[[list[str], int], str],
    limit: int,
) -> RenderedComment:
    """Keep the must-see findings' first lines (errors come first), drop the rest."""
    key = next((k for k in CUT_BY_LINES if any(s.key == k for s in kept)), CUT_BY_LINES[-1])
    at = next((i for i, s in enumerate(kept) if s.key == key), 0)
    others = [s for s in kept if s.key != key]
    verdicts = [s for s in kept if s.key == key]
    lines = "\n".join(s.body for s in verdicts).splitlines()
    title = verdicts[0].title if verdicts else "Policy verdicts"
    low, high = 0, len(lines)
    best: str | None = None
    best_cut = len(lines)
    while low <= high:  # the largest prefix that fits
        middle = (low + high) // 2
        cut = len(lines) - middle
        body = (
            "\n".join(lines[:middle]) + f"\n\n*… {cut} more {'line' if cut == 1 else 'lines'} cut.*"
        )
        shortened = CommentSection(key, title, body, open=True)
        text = fill([*others[:at], shortened, *others[at:]], notice(dropped, cut))
        if len(text) <= limit:
            best, best_cut, low = text, cut, middle + 1
        else:
            high = middle - 1
    if best is None:
        raise ValueError(f"the comment's fixed parts alone exceed {limit} characters")
    return RenderedComment(best, dropped, best_cut)
