"""Names in finding messages, as code spans that no name can break.

A rule writes a model, column, policy or tag name into its message with `code(name)`:
a CommonMark code span whose fence is one backtick longer than the longest run of
backticks in the name (`` `orders.email` `` for an ordinary name, ``` ``a`b`` ``` for a
column named a`b). The message stays readable as plain text, and a renderer finds the
spans again with `split_code_spans` by CommonMark's own rule: the Markdown renderer
builds each code span itself (report/markdown_text.py); the plain renderers (SARIF,
annotations, the console, report.json) show the message as written, the name verbatim.
"""

from __future__ import annotations

import re

_RUN = re.compile(r"`+")


def code(*parts: object) -> str:
    """The parts, joined by dots (`code(model, column)`), as one code span that none of
    their characters can end."""
    name = ".".join(map(str, parts))
    longest = max((len(run) for run in _RUN.findall(name)), default=0)
    fence = "`" * (longest + 1)
    # CommonMark strips one space each side when both are there: pad what would be eaten.
    padded = name.startswith("`") or name.endswith("`") or _stripped_by_commonmark(name)
    pad = " " if padded else ""
    return f"{fence}{pad}{name}{pad}{fence}"


def _stripped_by_commonmark(content: str) -> bool:
    return content.startswith(" ") and content.endswith(" ") and content.strip() != ""


def split_code_spans(text: str) -> list[tuple[str, bool]]:
    """(piece, is_code) in order: code spans found as CommonMark finds them (a run of n
    backticks up to the next run of exactly n), their content unpadded; a run with no
    closing run is text."""
    pieces: list[tuple[str, bool]] = []
    plain_start = position = 0
    while (opening := _RUN.search(text, position)) is not None:
        width = len(opening.group())
        closing = _RUN.search(text, opening.end())
        while closing is not None and len(closing.group()) != width:
            closing = _RUN.search(text, closing.end())
        if closing is None:
            position = opening.end()  # literal backticks: part of the text around them
            continue
        if opening.start() > plain_start:
            pieces.append((text[plain_start : opening.start()], False))
        content = text[opening.end() : closing.start()].replace("\r\n", " ").replace("\n", " ")
        if _stripped_by_commonmark(content):
            content = content[1:-1]
        pieces.append((content, True))
        plain_start = position = closing.end()
    if plain_start < len(text):
        pieces.append((text[plain_start:], False))
    return pieces
