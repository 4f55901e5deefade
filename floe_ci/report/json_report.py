"""JSON report: the CheckResult as data, described by schemas/check-report.schema.json.

After `floe-ci check --base REF` the report also carries the Plan under `plan` (its schema
generated from floe_ci.plan.changes.Plan); without a base the key is absent, so the report
of a plain check is unchanged. Regenerate the published schema after changing the result or
plan models (tests/unit/test_schemas_current.py fails until you do):

    floe-ci schema export --type report -o schemas/check-report.schema.json
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from floe_ci.governance.result import CheckResult

if TYPE_CHECKING:  # the plan's models cost ~40 ms to import; a plain check never needs them
    from floe_ci.plan.changes import Plan

SCHEMA_FILE = "check-report.schema.json"
SCHEMA_URL = "https://raw.githubusercontent.com/floe/action/v1/schemas/" + SCHEMA_FILE


def render_json(result: CheckResult, plan: Plan | None = None) -> str:
    from floe_ci import fastjson

    data = {"$schema": SCHEMA_URL, **result.model_dump(mode="json")}
    if plan is not None:
        data["plan"] = plan.model_dump(mode="json")
    return fastjson.dumps_indented(data) + "\n"


# Fields the JSON report carries that the models compute (not read back).
_COMPUTED = ("summary", "passed")


def load_report(data: bytes | str) -> tuple[CheckResult, Plan | None]:
    """A JSON report read back into its models, validated as the schema describes it;
    ValueError naming the first problem otherwise. The fork-safe second stage renders the
    comment from this rather than trusting Markdown written by the pull request's code."""
    from pydantic import ValidationError

    from floe_ci import fastjson
    from floe_ci.plan.changes import Plan

    try:
        document = fastjson.loads(data)
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"not JSON: {str(exc)[:200]}") from None
    if not isinstance(document, dict):
        raise ValueError("not a JSON object")
    body = {k: v for k, v in document.items() if k not in ("$schema", "plan", *_COMPUTED)}
    try:
        result = CheckResult.model_validate(body)
        raw_plan = document.get("plan")
        plan = None if raw_plan is None else Plan.model_validate(raw_plan)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ())) or "(top)"
        raise ValueError(f"`{where}`: {first.get('msg')}") from None
    return result, plan


def report_schema() -> dict[str, Any]:
    """The CheckResult's schema, with `$schema` and the optional `plan` (the Plan model's,
    its definitions shared with the result's: a Finding is one definition)."""
    from pydantic.json_schema import models_json_schema

    from floe_ci.plan.changes import Plan

    _, top = models_json_schema(
        [(CheckResult, "serialization"), (Plan, "serialization")],
        ref_template="#/$defs/{model}",
    )
    definitions = top["$defs"]
    body = definitions.pop("CheckResult")
    body["properties"] = {
        "$schema": {"type": "string"},
        **body["properties"],
        "plan": {
            "$ref": "#/$defs/Plan",
            "description": "With `check --base REF`: what the change does, against the base.",
        },
    }
    body = {"$defs": dict(sorted(definitions.items())), **body}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_URL,
        **body,
    }


def report_schema_text() -> str:
    return json.dumps(report_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":  # pragma: no cover - the documented regeneration command
    print(report_schema_text(), end="")
