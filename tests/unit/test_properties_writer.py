"""The properties writer inserts `meta.floe` and changes no other byte of the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from floe_ci.errors import FloeUsageError
from floe_ci.integrations.dbt.properties_writer import (
    NEW_PROPERTIES_FILE,
    ColumnEdit,
    PropertiesWriter,
)

PII = {"classification": "pii", "pii_type": "email", "sensitivity": "high"}
META = "meta: {floe: {classification: pii, pii_type: email, sensitivity: high}}"


def _model(name: str = "customers", patch: str | None = "models/_schema.yml") -> dict[str, Any]:
    return {
        "unique_id": f"model.shop.{name}",
        "resource_type": "model",
        "name": name,
        "package_name": "shop",
        "original_file_path": f"models/{name}.sql",
        "patch_path": f"shop://{patch}" if patch else None,
    }


def _write(tmp_path: Path, text: str | None, *edits: ColumnEdit) -> tuple[str, list[str]]:
    file = tmp_path / "models" / "_schema.yml"
    file.parent.mkdir(parents=True, exist_ok=True)
    if text is not None:
        file.write_text(text)
    writer = PropertiesWriter(tmp_path, {"shop": tmp_path})
    result = writer.plan(edits)
    result.write()
    reasons = [reason for _, reason in result.skipped]
    return (file.read_text() if file.exists() else ""), reasons


TRAILING_SPACES = "   "  # kept as they are, as everything else
ORIGINAL = f"""\
version: 2

models:
  # the customers mart; owned by the CRM team
  - name: customers
    description: >
      One row per customer.{TRAILING_SPACES}
    columns:
      - name: id   # primary key
        tests: [unique, not_null]
      - name: email
        description: "The customer's e-mail"

  # next model
  - name: orders
    columns:
      - name: id
"""


def test_a_declared_column_gets_one_meta_line_below_its_name(tmp_path: Path) -> None:
    after, skipped = _write(tmp_path, ORIGINAL, ColumnEdit(_model(), "email", PII))
    assert skipped == []
    assert after == ORIGINAL.replace(
        "      - name: email\n", f"      - name: email\n        {META}\n"
    )


def test_an_undeclared_column_is_appended_to_its_models_columns(tmp_path: Path) -> None:
    after, _ = _write(tmp_path, ORIGINAL, ColumnEdit(_model(), "contact_email", PII))
    assert after == ORIGINAL.replace(
        'e-mail"\n\n',
        f'e-mail"\n      - name: contact_email\n        {META}\n\n',
    )


def test_a_model_without_columns_gets_a_columns_key(tmp_path: Path) -> None:
    text = "models:\n- name: customers\n  description: x\n# trailing note\n- name: other\n"
    after, _ = _write(tmp_path, text, ColumnEdit(_model(), "email", PII))
    assert after == (
        "models:\n- name: customers\n  description: x\n  columns:\n  - name: email\n"
        f"    {META}\n# trailing note\n- name: other\n"
    )


def test_a_model_missing_from_the_file_is_appended(tmp_path: Path) -> None:
    edit = ColumnEdit(_model("payments"), "card", {**PII, "pii_type": "credit_card"})
    after, _ = _write(tmp_path, ORIGINAL, edit)
    assert after.startswith(ORIGINAL)
    assert after[len(ORIGINAL) :] == (
        "  - name: payments\n    columns:\n      - name: card\n"
        "        meta: {floe: {classification: pii, pii_type: credit_card, sensitivity: high}}\n"
    )


def test_an_existing_meta_block_gets_a_floe_key(tmp_path: Path) -> None:
    text = (
        "models:\n  - name: customers\n    columns:\n      - name: email\n        meta:\n"
        "          owner: crm  # who\n"
    )
    after, _ = _write(tmp_path, text, ColumnEdit(_model(), "email", PII))
    assert after == text.replace(
        "        meta:\n",
        "        meta:\n          floe: {classification: pii, pii_type: email, "
        "sensitivity: high}\n",
    )


def test_config_meta_floe_wins_and_only_the_value_changes(tmp_path: Path) -> None:
    text = (
        "models:\n  - name: customers\n    columns:\n      - name: email\n        config:\n"
        "          meta:\n            floe:\n              classification: pii\n"
        "              sensitivity: hgih   # typo\n        meta: {floe: {classification: x}}\n"
    )
    after, _ = _write(tmp_path, text, ColumnEdit(_model(), "email", {"sensitivity": "high"}))
    assert after == text.replace("sensitivity: hgih   # typo", "sensitivity: high   # typo")


def test_a_one_line_flow_floe_is_merged_in_place(tmp_path: Path) -> None:
    text = (
        "models:\n  - name: customers\n    columns:\n      - name: email\n"
        "        meta: {floe: {classification: pii}, owner: 'crm'}\n"
    )
    after, _ = _write(tmp_path, text, ColumnEdit(_model(), "email", {"sensitivity": "high"}))
    assert after == text.replace(
        "{floe: {classification: pii}, owner",
        "{floe: {classification: pii, sensitivity: high}, owner",
    )


def test_a_model_without_properties_gets_a_file_of_its_own(tmp_path: Path) -> None:
    writer = PropertiesWriter(tmp_path, {"shop": tmp_path})
    result = writer.plan([ColumnEdit(_model("orders", patch=None), "email", PII)])
    result.write()
    created = tmp_path / "models" / NEW_PROPERTIES_FILE
    assert created.read_text() == (
        "version: 2\n\nmodels:\n  - name: orders\n    columns:\n      - name: email\n"
        f"        {META}\n"
    )
    assert "/dev/null" in result.diff(tmp_path)


def test_a_source_table_column_is_written_in_its_sources_file(tmp_path: Path) -> None:
    text = (
        "sources:\n  - name: crm\n    tables:\n      - name: users\n        columns:\n"
        "          - name: mail\n"
    )
    source = {
        "unique_id": "source.shop.crm.users",
        "resource_type": "source",
        "name": "users",
        "source_name": "crm",
        "package_name": "shop",
        "original_file_path": "models/_schema.yml",
    }
    after, _ = _write(tmp_path, text, ColumnEdit(source, "mail", PII))
    assert after == text + f"            {META}\n"


def test_installed_packages_and_flow_entries_are_skipped_with_a_reason(tmp_path: Path) -> None:
    installed = tmp_path / "dbt_packages" / "vendor"
    installed.mkdir(parents=True)
    writer = PropertiesWriter(tmp_path, {"shop": tmp_path, "vendor": installed})
    node = {**_model(), "package_name": "vendor"}
    [(_, reason)] = writer.plan([ColumnEdit(node, "email", PII)]).skipped
    assert "installed package `vendor`" in reason
    text = "models:\n  - name: customers\n    columns:\n      - {name: email}\n"
    after, skipped = _write(tmp_path, text, ColumnEdit(_model(), "email", PII))
    assert after == text and "flow style" in skipped[0]


def test_broken_yaml_is_a_located_usage_error(tmp_path: Path) -> None:
    with pytest.raises(FloeUsageError) as raised:
        _write(tmp_path, "models:\n  - name: [unclosed\n", ColumnEdit(_model(), "email", PII))
    problem = raised.value.problems[0]
    assert problem.file.endswith("_schema.yml") and problem.line is not None


def test_two_columns_of_one_model_without_columns_share_one_block(tmp_path: Path) -> None:
    text = "models:\n  - name: customers\n"
    after, _ = _write(
        tmp_path,
        text,
        ColumnEdit(_model(), "email", PII),
        ColumnEdit(_model(), "phone", {**PII, "pii_type": "phone"}),
    )
    assert after.count("columns:") == 1 and after.count("- name: ") == 3
