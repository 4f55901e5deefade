"""Fixes as GitHub suggested changes (report/suggestions.py)."""

from __future__ import annotations

from floe_ci.report.suggestions import line_suggestions, split_by_diff, summary_section

BEFORE = "models:\n  - name: m\n    columns:\n      - name: email\n        description: x\n"
META = "        meta: {floe: {classification: pii}}"


def test_an_insertion_is_a_suggestion_on_the_line_above_that_keeps_it() -> None:
    after = BEFORE.replace("      - name: email\n", f"      - name: email\n{META}\n")
    [suggestion] = line_suggestions("m.yml", BEFORE, after)
    assert (suggestion.line, suggestion.replacement) == (4, f"      - name: email\n{META}")


def test_a_replaced_value_is_a_one_line_suggestion() -> None:
    before = "a:\n  sensitivity: hgih\n"
    [suggestion] = line_suggestions("m.yml", before, before.replace("hgih", "high"))
    assert (suggestion.line, suggestion.replacement) == (2, "  sensitivity: high")


def test_only_lines_of_the_diff_are_posted_and_at_most_the_limit() -> None:
    found = [*line_suggestions("m.yml", BEFORE, BEFORE + "x: 1\ny: 2\n")]
    found += line_suggestions("n.yml", "a: 1\nb: 2\nc: 3\nd: 4\n", "a: 1\nb: 9\nc: 3\nd: 8\n")
    postable, rest = split_by_diff(found, {"n.yml": {2, 4}, "m.yml": set()}, limit=1)
    assert [(s.path, s.line) for s in postable] == [("n.yml", 2)]
    assert [(s.path, s.line) for s in rest] == [("m.yml", 5), ("n.yml", 4)]
    text = summary_section(rest, posted=1)
    assert "1 fix(es) are suggested changes" in text and "`m.yml:5`" in text
