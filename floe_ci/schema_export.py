"""JSON Schema export of FloeSpec, CompiledArtifacts and the check report (with its Plan)."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

SCHEMA_FILES = {
    "floespec": "floe.schema.json",
    "artifacts": "compiled-artifacts.schema.json",
    "report": "check-report.schema.json",
}
SCHEMA_BASE_URL = "https://raw.githubusercontent.com/floe/action/v1/schemas/"


def schema_for(kind: str) -> dict[str, Any]:
    if kind == "report":
        # The report is more than one model (a CheckResult, and a Plan after --base).
        from floe_ci.report.json_report import report_schema

        return report_schema()
    from floe_ci.artifacts import CompiledArtifacts
    from floe_ci.spec.models import FloeSpec

    models: dict[str, type[BaseModel]] = {"floespec": FloeSpec, "artifacts": CompiledArtifacts}
    model = models[kind]
    body = model.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_BASE_URL + SCHEMA_FILES[kind],
        **body,
    }


def schema_text(kind: str) -> str:
    return json.dumps(schema_for(kind), indent=2, ensure_ascii=False) + "\n"
