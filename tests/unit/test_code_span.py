"""code_span: a name written with `code()` is found again whole, as GitHub's renderer finds it."""

from __future__ import annotations

import re
from html import unescape

import cmarkgfm
import pytest

from floe_ci.code_span import code, split_code_spans

NAMES = ["orders.email", "a`b", "`x", "x`", "```", "a``b`c", " a ", "  ", "@everyone", "x|y", "é"]


@pytest.mark.parametrize("name", NAMES)
def test_a_name_is_one_code_span_for_cmark_and_for_the_splitter(name: str) -> None:
    message = f"see {code(name)} and {code('t')} `stray"
    assert split_code_spans(message) == [
        ("see ", False),
        (name, True),
        (" and ", False),
        ("t", True),
        (" `stray", False),
    ]
    html = cmarkgfm.github_flavored_markdown_to_html(message)
    assert [unescape(c) for c in re.findall(r"<code>(.*?)</code>", html)] == [name, "t"]


def test_parts_are_joined_by_dots_and_plain_text_is_kept() -> None:
    assert code("orders", "email") == "`orders.email`"
    assert split_code_spans("no span here, only `one tick") == [
        ("no span here, only `one tick", False)
    ]
