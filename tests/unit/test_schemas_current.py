"""The checked-in JSON Schemas match the models, and validate the example."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from floe_ci.schema_export import SCHEMA_FILES, schema_text
from tests.conftest import EXAMPLE_SHOP, REPO_ROOT

SCHEMAS = REPO_ROOT / "schemas"


@pytest.mark.parametrize("kind", sorted(SCHEMA_FILES))
def test_checked_in_schema_is_current(kind: str) -> None:
    path = SCHEMAS / SCHEMA_FILES[kind]
    assert path.read_text() == schema_text(kind), (
        f"{path} is out of date: run `floe-ci schema export --type {kind} -o {path}`"
    )


def test_floe_schema_validates_the_example_and_rejects_typos() -> None:
    schema = json.loads((SCHEMAS / "floe.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    example = yaml.safe_load((EXAMPLE_SHOP / "floe.yaml").read_text())
    jsonschema.validate(example, schema, cls=jsonschema.Draft202012Validator)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**example, "consumtion": {}}, schema)


def test_yaml_language_server_comment_points_at_the_schema() -> None:
    first_line = (EXAMPLE_SHOP / "floe.yaml").read_text().splitlines()[0]
    target = first_line.split("$schema=", 1)[1]
    assert (EXAMPLE_SHOP / target).resolve() == (SCHEMAS / "floe.schema.json").resolve()


def test_artifacts_schema_is_valid_json_schema() -> None:
    schema = json.loads((SCHEMAS / "compiled-artifacts.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    assert Path(schema["$id"]).name == "compiled-artifacts.schema.json"
