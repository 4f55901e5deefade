"""SARIF 2.1.0 for GitHub code scanning (`github/codeql-action/upload-sarif`).

Paths are relative to the repository root (GitHub resolves them against the checkout);
waived findings become suppressed results with the waiver's reason as justification.
"""

from __future__ import annotations

import hashlib
from typing import Any

from floe_ci.governance.result import CheckResult, Finding

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/floe/action"
_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def _rule_descriptor(rule: Any) -> dict[str, Any]:
    anchor = f"{rule.id}-{rule.name}".lower()
    return {
        "id": rule.id,
        "name": getattr(rule, "__name__", None) or rule.name.title().replace("-", ""),
        "shortDescription": {"text": rule.summary()},
        "fullDescription": {"text": rule.help_text()},
        "help": {
            "text": rule.documentation(),
            "markdown": f"**{rule.id} {rule.name}**: {rule.summary()}\n\n{rule.help_text()}",
        },
        "helpUri": f"{INFORMATION_URI}#{anchor}",
        "defaultConfiguration": {"level": _LEVEL[rule.severity]},
        "properties": {"tags": ["governance", "data-classification"], "slug": rule.name},
    }


def _other_descriptor(finding: Finding) -> dict[str, Any]:
    return {
        "id": finding.rule_id,
        "name": finding.rule_name,
        "shortDescription": {"text": finding.rule_name.replace("-", " ")},
        "help": {"text": f"{finding.rule_id} {finding.rule_name}"},
        "defaultConfiguration": {"level": _LEVEL[finding.severity]},
    }


def _fingerprint(finding: Finding) -> str:
    # Stable across line moves: the same rule on the same column is the same alert.
    key = "|".join(
        str(part or "") for part in (finding.rule_id, finding.file, finding.model, finding.column)
    )
    if not finding.model:
        key += "|" + finding.message
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _location(result: CheckResult, finding: Finding) -> dict[str, Any]:
    path = result.repo_path(finding) or result.config_file
    artifact: dict[str, Any] = (
        {"uri": "file://" + path}
        if path.startswith("/")
        else {"uri": path, "uriBaseId": "%SRCROOT%"}
    )
    region: dict[str, Any] = {"startLine": finding.line or 1}
    if finding.column_number is not None:
        region["startColumn"] = finding.column_number
    location: dict[str, Any] = {
        "physicalLocation": {"artifactLocation": artifact, "region": region}
    }
    subject = ".".join(p for p in (finding.model, finding.column) if p)
    if subject:
        location["logicalLocations"] = [
            {"name": finding.column or finding.model, "fullyQualifiedName": subject}
        ]
    return location


def sarif_log(result: CheckResult) -> dict[str, Any]:
    from floe_ci.governance.rules.registry import all_rules

    rules = all_rules()
    descriptors = [_rule_descriptor(rule) for rule in rules]
    index = {rule.id: i for i, rule in enumerate(rules)}
    # Findings from other producers (e.g. the pull-request review) get a minimal descriptor.
    for finding in result.findings:
        if finding.rule_id not in index:
            index[finding.rule_id] = len(descriptors)
            descriptors.append(_other_descriptor(finding))
    results = []
    for finding in result.findings:
        text = finding.message + (f"\nhint: {finding.hint}" if finding.hint else "")
        entry: dict[str, Any] = {
            "ruleId": finding.rule_id,
            "ruleIndex": index[finding.rule_id],
            "level": _LEVEL[finding.severity],
            "message": {"text": text},
            "locations": [_location(result, finding)],
            "partialFingerprints": {"floeFinding/v1": _fingerprint(finding)},
        }
        if finding.lineage_path:
            entry["properties"] = {"lineagePath": finding.lineage_path}
        if finding.waived:
            entry["suppressions"] = [
                {"kind": "inSource", "justification": finding.waiver_reason or ""}
            ]
        results.append(entry)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "floe-ci",
                        "version": result.tool_version,
                        "semanticVersion": result.tool_version,
                        "informationUri": INFORMATION_URI,
                        "rules": descriptors,
                    }
                },
                "automationDetails": {"id": f"floe-ci/check/{result.pipeline}/"},
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


def render_sarif(result: CheckResult) -> str:
    from floe_ci import fastjson

    return fastjson.dumps_indented(sarif_log(result)) + "\n"
