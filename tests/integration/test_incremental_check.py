"""A warm check reuses findings relation by relation and finds exactly what a full one does.

The oracle is the full evaluation of the same edited project (tests/incremental_support.py):
each edit below is one a pull request makes, on examples/shop-findings, where every rule
fires. The CLI tests run `floe-ci check` twice on a copy and compare with a run that has
no stored findings.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from floe_ci.app.spec_file import load_spec
from floe_ci.governance.evaluate import build_context, evaluate_context
from floe_ci.governance.rules.base import RuleContext
from floe_ci.governance.rules.registry import check_rules
from floe_ci.integrations.dbt.lineage import build_column_lineage
from floe_ci.integrations.dbt.properties import ColumnLocations
from tests.conftest import copy_example
from tests.incremental_support import (
    OPTIONS,
    context_of,
    edited,
    reuse_against_full,
    set_floe,
)
from tests.integration.rules_support import EXAMPLE_FINDINGS, ParsedProject, check

pytestmark = pytest.mark.integration

STG_CUSTOMERS = "model.shop_findings.stg_customers"
CUSTOMERS = "model.shop_findings.customers"
CONTACTS = "model.shop_findings.customer_contacts"


def _context(project: ParsedProject) -> RuleContext:
    spec = load_spec(project.path / "floe.yaml").spec
    locate = ColumnLocations(project.path, project.path)
    return build_context(
        spec, project.manifest, project.lineage, OPTIONS, locate, lambda path: None
    )


def _descendants(ctx: RuleContext, node_id: str) -> set[str]:
    found = {node_id}
    grew = True
    while grew:
        more = {m for m, model in ctx.models.items() if found & set(model.parents)}
        grew = not more <= found
        found |= more
    return found


def test_nothing_changed_evaluates_no_relation(findings_project: ParsedProject) -> None:
    ctx = _context(findings_project)
    assert evaluate_context(ctx, OPTIONS).findings  # every rule fires here
    assert reuse_against_full(ctx, _context(findings_project)) == 0


def test_relation_rules_report_only_on_relations(findings_project: ParsedProject) -> None:
    """What makes reuse sound: a relation rule's findings each name their relation."""
    ctx = _context(findings_project)
    relations = {*ctx.models, *ctx.inputs}
    fired = set()
    for rule in check_rules():
        if rule.scope == "relation":
            for finding in rule().check(ctx):
                assert finding.node_id in relations, finding
                fired.add(rule.id)
    assert {"FLOE101", "FLOE106", "FLOE107", "FLOE108", "FLOE201", "FLOE301"} <= fired


EDITS: dict[str, Any] = {
    "declassify an upstream column": lambda m: set_floe(m, STG_CUSTOMERS, "email", None),
    "classify an upstream column": lambda m: set_floe(
        m, STG_CUSTOMERS, "signed_up_on", {"classification": "pii", "sensitivity": "high"}
    ),
    "weaken a downstream classification": lambda m: set_floe(
        m, CUSTOMERS, "email", {"classification": "pii", "sensitivity": "low"}
    ),
    "waive a finding": lambda m: set_floe(
        m,
        CUSTOMERS,
        "country",
        {"classification": "marketing", "waive": ["FLOE401"], "reason": "aggregated"},
    ),
    # stored findings are kept waived: lifting the waiver must bring its finding back
    "lift a waiver": lambda m: set_floe(m, CONTACTS, "email_domain", None),
    "a typo in a meta key": lambda m: set_floe(m, CUSTOMERS, "full_name", {"clasification": "pii"}),
    "describe a model": lambda m: m["nodes"][CUSTOMERS].update(description="changed"),
}


@pytest.mark.parametrize("name", sorted(EDITS))
def test_a_meta_edit_re_evaluates_the_relation_and_its_descendants(
    findings_project: ParsedProject, name: str
) -> None:
    before = _context(findings_project)
    manifest = edited(findings_project.manifest, EDITS[name])
    after = context_of(before, manifest)
    node_id = STG_CUSTOMERS if "upstream" in name else CONTACTS if "waiver" in name else CUSTOMERS
    evaluated = reuse_against_full(before, after)
    # the relation, its descendants, and the inputs it reads (a seed's FLOE201 depends on
    # the models reading it)
    reach = _descendants(before, node_id)
    reach |= {p for m in reach for p in before.models[m].parents if p in before.inputs}
    assert 1 <= evaluated <= len(reach), (evaluated, sorted(reach))
    assert evaluated < len(before.models) + len(before.inputs)


def test_a_sql_edit_changes_lineage_and_is_found_as_a_full_check_finds_it(
    findings_project: ParsedProject,
) -> None:
    before = _context(findings_project)

    def add_a_column(manifest: dict[str, Any]) -> None:
        node = manifest["nodes"][CUSTOMERS]
        node["raw_code"] = node["raw_code"].replace(
            "c.email,", "c.email,\n    c.email as contact_email,"
        )

    manifest = edited(findings_project.manifest, add_a_column)
    lineage = build_column_lineage(manifest, findings_project.path, None)
    after = context_of(before, manifest, lineage)
    assert reuse_against_full(before, after) <= len(_descendants(before, CUSTOMERS)) + 2
    new = [f for f in evaluate_context(after, OPTIONS).findings if f.column == "contact_email"]
    assert any(f.rule_id == "FLOE301" for f in new), new


def test_a_removed_model_takes_its_findings_with_it(findings_project: ParsedProject) -> None:
    before = _context(findings_project)
    leaf = next(m for m in before.models if not _descendants(before, m) - {m})
    after = context_of(before, edited(findings_project.manifest, lambda m: m["nodes"].pop(leaf)))
    reuse_against_full(before, after)


# -- the CLI, with the findings kept in .floe/cache/findings ------------------------------


def _report(project: Path) -> dict[str, Any]:
    result = check(project)
    data = json.loads(result.model_dump_json())
    data["stats"].pop("durations", None)
    return data


def test_lines_that_move_in_a_properties_file_move_in_the_warm_check(tmp_path: Path) -> None:
    project = copy_example(tmp_path / "shop", EXAMPLE_FINDINGS)
    first = _report(project)
    assert (project / ".floe" / "cache" / "findings" / "findings.json").is_file()
    properties = project / "models" / "staging" / "_staging.yml"
    properties.write_text("# moved down\n\n\n" + properties.read_text())
    warm = _report(project)
    shutil.rmtree(project / ".floe" / "cache" / "findings")
    assert warm == _report(project)

    def lines(report: dict[str, Any]) -> dict[tuple[str, str, str], int]:
        return {
            (f["rule_id"], f["column"], f["message"]): f["line"]
            for f in report["findings"]
            if f["file"] == "models/staging/_staging.yml" and f["line"] is not None
        }

    moved, was = lines(warm), lines(first)
    assert moved and moved == {key: line + 3 for key, line in was.items()}


def test_a_stored_findings_file_from_elsewhere_is_not_trusted(tmp_path: Path) -> None:
    project = copy_example(tmp_path / "shop", EXAMPLE_FINDINGS)
    first = _report(project)
    stored = project / ".floe" / "cache" / "findings" / "findings.json"
    header, _, body = stored.read_bytes().partition(b"\n")
    data = json.loads(body)
    data["findings"] = [{**f, "message": "forged"} for f in data["findings"]]
    stored.write_bytes(header + b"\n" + json.dumps(data).encode())
    assert "forged" in {f["message"] for f in _report(project)["findings"]}  # read back
    data["project"] = "another project"
    stored.write_bytes(header + b"\n" + json.dumps(data).encode())
    assert _report(project) == first
    stored.write_text("{not json")
    assert _report(project) == first
