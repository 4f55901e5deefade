"""The OpenLineage schema the lineage tests validate against is transcribed from the spec
(no registry ships OpenLineage.json itself). This test anchors the transcription to an
official artifact: openlineage-python's classes, which the OpenLineage project generates from
that very JSON schema. Every definition we transcribed must require exactly the fields the
generated class cannot do without, and know no field the class does not have."""

from __future__ import annotations

import importlib
import json
import pkgutil
from typing import Any

import attr
import pytest

from tests.conftest import REPO_ROOT

SCHEMA = json.loads(
    (REPO_ROOT / "tests/data/openlineage/OpenLineage-2-0-2.transcribed.json").read_text()
)


def generated_classes() -> dict[str, type]:
    import openlineage.client.generated as generated

    classes: dict[str, type] = {}
    for module_info in pkgutil.iter_modules(generated.__path__):
        module = importlib.import_module(f"{generated.__name__}.{module_info.name}")
        for name, value in vars(module).items():
            if isinstance(value, type) and attr.has(value) and value.__module__ == module.__name__:
                classes[name] = value
    return classes


def flatten(definition: dict[str, Any]) -> tuple[set[str], set[str]]:
    """(required, properties) of a definition, through allOf and local $refs."""
    if "$ref" in definition:
        return flatten(SCHEMA["$defs"][definition["$ref"].rsplit("/", 1)[-1]])
    required = set(definition.get("required", []))
    properties = set(definition.get("properties", {}))
    for part in definition.get("allOf", []):
        more_required, more_properties = flatten(part)
        required |= more_required
        properties |= more_properties
    return required, properties


def test_the_transcription_claims_the_spec_version_the_client_generates() -> None:
    from openlineage.client.generated.base import RunEvent

    url = attr.fields_dict(RunEvent)["schemaURL"].default
    assert url.startswith(SCHEMA["$id"].split("#")[0])


CLASSES = generated_classes()
COMPARABLE = sorted(name for name in SCHEMA["$defs"] if name in CLASSES)


def test_most_definitions_have_a_generated_counterpart() -> None:
    assert len(COMPARABLE) >= 10, COMPARABLE


@pytest.mark.parametrize("name", COMPARABLE)
def test_definition_matches_the_generated_class(name: str) -> None:
    required, properties = flatten(SCHEMA["$defs"][name])
    fields = attr.fields(CLASSES[name])
    mandatory = {f.name for f in fields if f.default is attr.NOTHING and f.init}
    known = {f.name for f in fields}
    assert mandatory <= required, f"{name}: the spec requires {mandatory - required}"
    assert properties <= known, f"{name}: the spec has no {properties - known}"


def test_event_types_match() -> None:
    from openlineage.client.generated.base import EventType

    transcribed = flatten(SCHEMA["$defs"]["RunEvent"])
    assert transcribed  # RunEvent is transcribed
    enum = SCHEMA["$defs"]["RunEvent"]["allOf"][1]["properties"]["eventType"]["enum"]
    assert set(enum) == {member.value for member in EventType}
