"""floe_ci.fastjson gives the stdlib's results, whichever parser runs."""

from __future__ import annotations

import gc
import json
import math

import pytest

from floe_ci import fastjson

REPORT_LIKE = {
    "a": 'é\u2028\x01\x1f"\\/<>&',
    "empty": [],
    "nothing": {},
    "nested": [1, {"x": None, "y": True, "z": False}],
    "big": 10**18,
    "text": "line\nbreak\ttab",
}


def test_indented_output_is_byte_for_byte_the_stdlib() -> None:
    expected = json.dumps(REPORT_LIKE, indent=2, ensure_ascii=False)
    assert fastjson.dumps_indented(REPORT_LIKE) == expected


def test_compact_output_parses_back() -> None:
    assert json.loads(fastjson.dumps_compact(REPORT_LIKE)) == REPORT_LIKE


def test_what_orjson_refuses_is_read_by_the_stdlib() -> None:
    data = fastjson.loads(b'{"n": NaN, "huge": 123456789012345678901234567890}')
    assert math.isnan(data["n"]) and data["huge"] == 123456789012345678901234567890


def test_invalid_json_raises_value_error_and_leaves_the_collector_on() -> None:
    assert gc.isenabled()
    with pytest.raises(ValueError):
        fastjson.loads(b"{oops")
    assert gc.isenabled()


def test_non_string_keys_fall_back_to_the_stdlib() -> None:
    assert fastjson.dumps_compact({1: "a"}) == '{"1":"a"}'
