"""The pull-request comment: a headline verdict, then sections in <details>, under a size cap.

GitHub rejects a comment over 65,536 characters. When the full text is longer, whole sections
are dropped in DROP_ORDER (the lineage graph first, the policy verdicts last); if the policy
verdicts alone are still too long, their last lines are cut. The comment always says what
was cut and where the full report is. The template is `reports/pr-comment.md`.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from dataclasses import dataclass, field

GITHUB_COMMENT_LIMIT = 65_536
# The hidden first line by which every run finds the comment it keeps up to date.
STICKY_MARKER = "<!-- floe-ci:sticky -->"

# Least important first. Policy verdicts are what a reviewer must see: they go last.
DROP_ORDER: tuple[str, ...] = (
    "lineage-graph",
    "lineage-changes",
    "deploy-plan",
    "column-changes",
    "model-changes",
    "config-changes",
    "stats",
    "waived-findings",
    "policy-impact",
    "policy-verdicts",
)


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
            what = f"{what}, and {lines} line(s) of the policy verdicts".lstrip(", ")
        return (
            f"> [!NOTE]\n> Cut to fit GitHub's {limit:,}-character comment limit: {what}. "
            f"The full report is in {full_report_at}.\n"
        )

    text = fill(kept, "")
    for key in DROP_ORDER[:-1]:
        if len(text) <= limit:
            return RenderedComment(text, dropped)
        victims = [s for s in kept if s.key == key]
        if victims:
            kept = [s for s in kept if s.key != key]
            dropped += [s.title for s in victims]
            text = fill(kept, notice(dropped))
    if len(text) <= limit:
        return RenderedComment(text, dropped)
    return _cut_policy_lines(kept, dropped, fill, notice, limit)


def _cut_policy_lines(
    kept: list[CommentSection],
    dropped: list[str],
    fill: Callable[[list[CommentSection], str], str],
    notice: Callable[[list[str], int], str],
    limit: int,
) -> RenderedComment:
    """Keep the policy verdicts' first lines (a table keeps its header), drop the rest."""
    others = [s for s in kept if s.key != "policy-verdicts"]
    verdicts = [s for s in kept if s.key == "policy-verdicts"]
    lines = "\n".join(s.body for s in verdicts).splitlines()
    title = verdicts[0].title if verdicts else "Policy verdicts"
    low, high = 0, len(lines)
    best: str | None = None
    best_cut = len(lines)
    while low <= high:  # the largest prefix that fits
        middle = (low + high) // 2
        cut = len(lines) - middle
        body = "\n".join(lines[:middle]) + f"\n\n*… {cut} more line(s) cut.*"
        text = fill(
            [*others, CommentSection("policy-verdicts", title, body, open=True)],
            notice(dropped, cut),
        )
        if len(text) <= limit:
            best, best_cut, low = text, cut, middle + 1
        else:
            high = middle - 1
    if best is None:
        raise ValueError(f"the comment's fixed parts alone exceed {limit} characters")
    return RenderedComment(best, dropped, best_cut)
