"""Shared setup for the rule tests: the example projects parsed by real `dbt parse`.

Parsing is the expensive part (a few seconds), so each project is parsed once per session;
a test that only changes floe.yaml re-evaluates the rules on the same manifest and lineage
through the pure core (`evaluate`), and a test that changes dbt files parses its own copy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from floe_ci.app.check import run_check
from floe_ci.app.spec_file import load_spec
from floe_ci.governance.evaluate import CheckOptions, evaluate
from floe_ci.governance.result import CheckResult, Finding
from floe_ci.integrations.dbt.parse import load_manifest
from floe_ci.integrations.dbt.properties import ColumnLocations
from floe_ci.spec.models import FloeSpec
from tests.conftest import PARSED_MANIFEST, REPO_ROOT, copy_example

EXAMPLE_FINDINGS = REPO_ROOT / "examples" / "shop-findings"
EXAMPLE_SHOP = REPO_ROOT / "examples" / "shop"


@dataclass
class ParsedProject:
    path: Path
    result: CheckResult
    manifest: dict[str, Any]
    lineage: Any

    def reevaluate(
        self, edit: Callable[[dict[str, Any]], None], options: CheckOptions | None = None
    ) -> CheckResult:
        """The rules on the same manifest with floe.yaml changed by `edit`."""
        data = yaml.safe_load((self.path / "floe.yaml").read_text())
        edit(data)
        spec = FloeSpec.model_validate(data)
        return evaluate(
            spec,
            self.manifest,
            self.lineage,
            options or CheckOptions(),
            locate_column=ColumnLocations(self.path, self.path),
        )


def check(project: Path, **options: Any) -> CheckResult:
    return run_check(project / "floe.yaml", CheckOptions(config_file="floe.yaml", **options))


def parse_copy(source: Path, dest: Path) -> ParsedProject:
    from floe_ci.integrations.dbt.lineage import build_column_lineage

    project = copy_example(dest, source)
    result = check(project)
    manifest = load_manifest(project / PARSED_MANIFEST)
    load_spec(project / "floe.yaml")  # the copy is valid floe.yaml
    lineage = build_column_lineage(manifest, project, project / ".floe" / "cache" / "lineage")
    return ParsedProject(project, result, manifest, lineage)


def edited_copy(source: Path, dest: Path, edits: dict[str, tuple[str, str]]) -> Path:
    """A copy of an example with exact text replacements: {relative file: (old, new)}."""
    project = copy_example(dest, source)
    for relative, (old, new) in edits.items():
        file = project / relative
        text = file.read_text()
        assert text.count(old) == 1, f"{relative}: {old!r} not found exactly once"
        file.write_text(text.replace(old, new))
    return project


def of_rule(result: CheckResult, rule_id: str, *, waived: bool = False) -> list[Finding]:
    return [f for f in result.findings if f.rule_id == rule_id and f.waived == waived]


def one(findings: list[Finding], **fields: Any) -> Finding:
    matching = [f for f in findings if all(getattr(f, k) == v for k, v in fields.items())]
    assert len(matching) == 1, f"expected one finding with {fields}, got {matching}"
    return matching[0]


_PARSED: dict[Path, ParsedProject] = {}


def parsed_example(source: Path, factory: pytest.TempPathFactory) -> ParsedProject:
    """An example parsed and checked once per session, shared by every rule test module."""
    if source not in _PARSED:
        _PARSED[source] = parse_copy(source, factory.mktemp(source.name) / source.name)
    return _PARSED[source]
