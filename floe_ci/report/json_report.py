"""JSON report: the CheckResult as data, described by schemas/check-report.schema.json.

Regenerate the published schema after changing the result models:

    python -m floe_ci.report.json_report > schemas/check-report.schema.json
"""

from __future__ import annotations

import json
from typing import Any

from floe_ci.governance.result import CheckResult

SCHEMA_FILE = "check-report.schema.json"
SCHEMA_URL = "https://raw.githubusercontent.com/floe/action/v1/schemas/" + SCHEMA_FILE


def render_json(result: CheckResult) -> str:
    from floe_ci import fastjson

    data = {"$schema": SCHEMA_URL, **result.model_dump(mode="json")}
    return fastjson.dumps_indented(data) + "\n"


def report_schema() -> dict[str, Any]:
    body = CheckResult.model_json_schema(mode="serialization")
    body["properties"] = {"$schema": {"type": "string"}, **body["properties"]}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_URL,
        **body,
    }


def report_schema_text() -> str:
    return json.dumps(report_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":  # pragma: no cover - the documented regeneration command
    print(report_schema_text(), end="")
