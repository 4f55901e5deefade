"""The fast properties-YAML scan agrees with the exact located parse, or defers to it."""

from __future__ import annotations

from pathlib import Path

import pytest

from floe_ci.integrations.dbt.column_locations import FastColumnLocations, scan_properties
from floe_ci.integrations.dbt.properties import ColumnLocations

BLOCK = """\
version: 2
# a comment
models:
  - name: customers
    description: "with: colons"
    data_tests:
      - name: a_model_test   # not a column
    columns:
      - name: customer_id
        data_tests:
          - name: not_a_column
      - name: "email"  # quoted
        meta: {floe: {classification: pii}}

      - name: Phone
  - name: 'orders'
    columns:
    - name: order_id
    - name: amount
seeds:
  - name: raw
    columns:
      - name: id
"""


def test_block_style_scan() -> None:
    entries = scan_properties(BLOCK)
    assert entries["customers"].line == 4
    assert entries["customers"].columns == {"customer_id": 9, "email": 12, "phone": 15}
    assert entries["raw"].columns == {"id": 23}
    # Indentless lists, as yaml.safe_dump writes them.
    assert entries["orders"].columns == {"order_id": 18, "amount": 19}


def test_indentless_document() -> None:
    text = (
        "version: 2\nmodels:\n- name: m\n  columns:\n  - name: a\n    data_type: int\n"
        "  - name: b\n- name: n\n  columns:\n  - name: c\n"
    )
    entries = scan_properties(text)
    assert entries["m"].columns == {"a": 5, "b": 7}
    assert entries["n"].line == 8 and entries["n"].columns == {"c": 10}


def node(name: str, patch: str) -> dict[str, str]:
    return {"name": name, "patch_path": f"p://{patch}", "original_file_path": f"models/{name}.sql"}


@pytest.mark.parametrize(
    ("name", "column"),
    [
        ("customers", "customer_id"),
        ("customers", "email"),
        ("customers", "phone"),
        ("orders", "order_id"),
        ("orders", "amount"),
        ("orders", "missing"),
        ("flow", "a"),
        ("nowhere", "x"),
    ],
)
def test_same_answers_as_the_exact_locator(tmp_path: Path, name: str, column: str) -> None:
    (tmp_path / "models").mkdir()
    text = BLOCK + "  - name: flow\n    columns: [{name: a}, {name: b}]\n"
    text = text.replace("seeds:\n  - name: raw\n    columns:\n      - name: id\n", "")
    (tmp_path / "models" / "_p.yml").write_text(text.replace("models:\n", "models:\n", 1))
    fast = FastColumnLocations(tmp_path, tmp_path)
    exact = ColumnLocations(tmp_path, tmp_path)
    assert fast(node(name, "models/_p.yml"), column) == exact(node(name, "models/_p.yml"), column)
