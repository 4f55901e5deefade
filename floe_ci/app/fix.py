"""`floe-ci fix`: apply the fix of every finding that has one (governance/fixes.py) to the
dbt properties YAML, changing nothing else in the files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from floe_ci.app.check import CheckRun, collect_check
from floe_ci.app.classify import writer_for
from floe_ci.governance.evaluate import CheckOptions
from floe_ci.governance.fixes import ColumnFix, fixes_for
from floe_ci.integrations.dbt.properties_writer import ColumnEdit, WriteResult


@dataclass
class FixPlan:
    run: CheckRun
    fixes: list[ColumnFix]
    writes: WriteResult


def plan_fixes(
    config_path: Path, shown: str, rules: tuple[str, ...] = (), compile_target: str | None = None
) -> FixPlan:
    """The fixes of the current findings (only `rules`' when given) and their file edits."""
    options = CheckOptions(config_file=shown, compile_target=compile_target)
    run = collect_check(config_path, options)
    wanted = {r.upper() for r in rules}
    findings = [
        f for f in run.result.findings if not wanted or f.rule_id in wanted or f.rule_name in rules
    ]
    fixes = fixes_for(run.context, findings)
    writes = writer_for(run, config_path, shown).plan(column_edits(run, fixes))
    return FixPlan(run, fixes, writes)


def column_edits(run: CheckRun, fixes: list[ColumnFix]) -> list[ColumnEdit]:
    nodes = {**run.context.models, **run.context.inputs}
    return [
        ColumnEdit(nodes[f.node_id].node, f.column, f.floe, f"{nodes[f.node_id].name}.{f.column}")
        for f in fixes
    ]
