"""Text from the repository made safe inside Markdown: table cells and inline code.

A model name, a message or a waiver reason comes from the user's files; unescaped, a `|`
splits a table cell, a newline ends the table and `<details>` opens HTML. Every renderer in
report/ escapes through these helpers, so a fix here holds for the summary and the comment.

Two kinds of cell, because the two documents differ:
- `cell`: the job summary's, where a multi-line message keeps its lines (as `<br>`) and the
  summary's row cap bounds the size;
- `inline_cell`: the pull-request comment's, one line and capped, since the comment must fit
  GitHub's 65,536 characters.
"""

from __future__ import annotations

ELLIPSIS = "…"


def escape(text: str) -> str:
    """Markdown-inline text that shows `&`, `<`, `>` and `|` literally (no HTML, no cell split)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")


def cap(text: str, max_length: int) -> str:
    """At most `max_length` characters, the last one an ellipsis when cut."""
    return text if len(text) <= max_length else text[: max_length - 1] + ELLIPSIS


def cell(text: str | None) -> str:
    """Text safe in one GFM table cell, its line breaks kept as `<br>` (the job summary)."""
    if not text:
        return ""
    return escape(text).replace("\r", "").replace("\n", "<br>")


def inline_cell(text: str | None, max_length: int = 500) -> str:
    """Text safe in one table cell on one line: whitespace runs become one space, and text
    over `max_length` characters is cut (the pull-request comment)."""
    if not text:
        return ""
    return escape(cap(" ".join(str(text).split()), max_length))


def inline_code(text: str | None, max_length: int = 500) -> str:
    """`inline_cell` as inline code, for names (models, columns, files, settings)."""
    return f"`{inline_cell(text, max_length)}`"
