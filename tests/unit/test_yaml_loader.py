"""Every kind of bad floe.yaml gives a located, one-screen message and no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from floe_ci.app.spec_file import load_spec
from floe_ci.errors import FloeUsageError
from floe_ci.spec.yaml_positions import MAX_FILE_BYTES, load_located

VALID = """\
name: shop
compute:
  target: duckdb
transforms:
  - type: dbt
    path: .
"""


def problems_of(tmp_path: Path, content: str | bytes) -> list[str]:
    path = tmp_path / "floe.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    with pytest.raises(FloeUsageError) as caught:
        load_spec(path, "floe.yaml")
    return [problem.render() for problem in caught.value.problems]


def test_valid_file_loads_with_defaults(tmp_path: Path) -> None:
    (tmp_path / "floe.yaml").write_text(VALID)
    loaded = load_spec(tmp_path / "floe.yaml")
    assert loaded.spec.name == "shop"
    assert loaded.spec.governance.policies == {}
    assert loaded.document.positions[("compute", "target")].line == 3


def test_unknown_key_suggests_the_nearest(tmp_path: Path) -> None:
    [message] = problems_of(tmp_path, VALID + "consumtion:\n  enabled: true\n")
    assert message.startswith("floe.yaml:7:1: error: unknown key `consumtion`")
    assert "did you mean `consumption`?" in message


def test_nested_unknown_key_is_located_and_suggested(tmp_path: Path) -> None:
    [message] = problems_of(tmp_path, VALID.replace("  target: duckdb", "  targt: duckdb"))
    assert "floe.yaml:3:3" in message
    assert "did you mean `target`?" in message


def test_wrong_enum_value_suggests_valid_value(tmp_path: Path) -> None:
    [message] = problems_of(tmp_path, VALID.replace("target: duckdb", "target: duckbd"))
    assert message.startswith("floe.yaml:3:3: error: `compute.target`")
    assert "did you mean `duckdb`?" in message


def test_missing_required_key(tmp_path: Path) -> None:
    [message] = problems_of(tmp_path, "name: shop\n")
    assert "missing required key `compute`" in message
    assert "floe.yaml:1:1" in message


def test_malformed_yaml(tmp_path: Path) -> None:
    [message] = problems_of(tmp_path, "name: shop\ncompute:\n  target: [duckdb\n")
    assert message.startswith("floe.yaml:4:1: error: invalid YAML")


def test_tab_indentation_has_a_hint(tmp_path: Path) -> None:
    [message] = problems_of(tmp_path, "name: shop\ncompute:\n\ttarget: duckdb\n")
    assert "floe.yaml:3:1" in message
    assert "tabs" in message


def test_duplicate_key_names_both_lines(tmp_path: Path) -> None:
    [message] = problems_of(tmp_path, VALID + "name: other\n")
    assert message.startswith(
        "floe.yaml:7:1: error: duplicate key `name` (first defined at line 1)"
    )


def test_billion_laughs_is_stopped(tmp_path: Path) -> None:
    bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for index, name in enumerate("bcdefghi"):
        previous = "abcdefghi"[index]
        bomb += f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]\n"
    [message] = problems_of(tmp_path, bomb)
    assert "expands to more than" in message
    assert "alias bomb" in message


def test_recursive_alias_is_stopped(tmp_path: Path) -> None:
    [message] = problems_of(tmp_path, "name: &a [*a]\n")
    assert "floe.yaml:1:" in message


def test_non_utf8_bytes_are_located(tmp_path: Path) -> None:
    [message] = problems_of(tmp_path, b"name: shop\ncompute:\n  target: caf\xe9\n")
    assert message.startswith("floe.yaml:3:14: error: not valid UTF-8 (byte 0xe9")


@pytest.mark.parametrize("content", ["", "\n\n", "# only a comment\n"])
def test_empty_file(tmp_path: Path, content: str) -> None:
    [message] = problems_of(tmp_path, content)
    assert message.startswith("floe.yaml:1:1: error: file is empty")


def test_huge_file_is_refused_before_parsing(tmp_path: Path) -> None:
    filler = "# " + "x" * 1000 + "\n"
    [message] = problems_of(tmp_path, VALID + filler * (MAX_FILE_BYTES // len(filler) + 10))
    assert "MiB" in message
    assert message.startswith("floe.yaml:1:1")


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    [message] = problems_of(tmp_path, "- a\n- b\n")
    assert "expected a mapping" in message


def test_python_tags_are_refused(tmp_path: Path) -> None:
    [message] = problems_of(tmp_path, "name: !!python/object:os.system ls\n")
    assert "unsupported YAML value" in message
    assert "floe.yaml:1:7" in message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FloeUsageError) as caught:
        load_spec(tmp_path / "nope.yaml", "nope.yaml")
    assert "file not found" in str(caught.value)


def test_all_problems_are_reported_at_once_in_file_order(tmp_path: Path) -> None:
    text = VALID.replace("target: duckdb", "target: nope") + "extra: 1\nversion: '2.0'\n"
    messages = problems_of(tmp_path, text)
    assert len(messages) == 3
    lines = [int(m.split(":")[1]) for m in messages]
    assert lines == sorted(lines)


def test_merge_keys_fill_only_missing_values() -> None:
    doc = load_located(
        "base: &base {action: mask, requires_role: [a]}\npolicy:\n  <<: *base\n  action: hash\n",
        "f.yaml",
    )
    assert doc.data["policy"] == {"action": "hash", "requires_role": ["a"]}
    assert doc.positions[("policy", "action")].line == 4
