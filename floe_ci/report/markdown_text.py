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

import re

from floe_ci.code_span import code, split_code_spans

ELLIPSIS = "…"
# Zero-width: between `@` and a name GitHub sees no mention; inside `://` no autolink.
_ZERO_WIDTH = "\u2060"
_MENTION = re.compile(r"@(?=[\w-])")
_SCHEME = re.compile(r"(?<=[A-Za-z]):/{2}")
_WWW = re.compile(r"\b[wW]{3}\.")
# Characters that open Markdown constructs which would make repository text live: links
# and images (`[`, `]`, `!`), emphasis kept as is (harmless), HTML (`<`, `&`).
_MARKDOWN_LIVE = str.maketrans({"[": "\\[", "]": "\\]", "!": "\\!"})


def escape(text: str) -> str:
    """Markdown-inline text that shows `&`, `<`, `>` and `|` literally (no HTML, no cell
    split), and whose `@name`, links, images and bare URLs stay text (no ping, no tracker)."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace("|", "\\|").translate(_MARKDOWN_LIVE)
    return neutralise(text)


def neutralise(text: str) -> str:
    """`@name` mentions and bare URLs made inert (for text outside any code span)."""
    text = _MENTION.sub("@" + _ZERO_WIDTH, text)
    text = _SCHEME.sub(":" + _ZERO_WIDTH + "//", text)
    return _WWW.sub("www" + _ZERO_WIDTH + ".", text)


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
    """Text as one code span that no character of it can end: fenced by one backtick more
    than its longest run of backticks, padded when it starts or ends with one, on one
    line and capped; `|` escaped so that it stays in its table cell."""
    flat = cap(" ".join(str(text or "").split()), max_length).replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def inline_message(text: str | None, max_length: int = 500) -> str:
    """A finding's message (or hint) on one line, capped, for a list item of the comment:
    its names become code spans built here (none can be broken by a backtick in a name,
    and `@name` in one stays inert), the text between them is escaped."""
    if not text:
        return ""
    return _message(" ".join(str(text).split()), max_length, table=False)


def message_cell(text: str | None) -> str:
    """A finding's message as one cell of the job summary's table, its lines kept."""
    if not text:
        return ""
    return _message(str(text), None, table=True).replace("\r", "").replace("\n", "<br>")


def _message(text: str, max_length: int | None, *, table: bool) -> str:
    out: list[str] = []
    room = max_length
    for piece, is_code in split_code_spans(text):
        cut = room is not None and len(piece) > room
        if cut and room is not None:
            piece = piece[: max(room - 1, 0)] + ELLIPSIS
        if is_code:
            span = code(" ".join(piece.split()) or " ")
            out.append(span.replace("|", "\\|") if table else span)
        else:  # a stray backtick must not pair with the fence of a span built here
            out.append(escape(piece).replace("`", "\\`"))
        if cut:
            break
        if room is not None:
            room -= len(piece)
    return "".join(out)
