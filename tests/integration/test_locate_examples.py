"""On the real example projects, the fast locator gives exactly the exact locator's answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from floe_ci.integrations.dbt.column_locations import FastColumnLocations
from floe_ci.integrations.dbt.properties import ColumnLocations
from tests.integration.rules_support import (
    EXAMPLE_FINDINGS,
    EXAMPLE_SHOP,
    ParsedProject,
    parsed_example,
)


@pytest.mark.parametrize("source", [EXAMPLE_SHOP, EXAMPLE_FINDINGS], ids=lambda p: p.name)
def test_fast_locator_matches_exact(source: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    project: ParsedProject = parsed_example(source, tmp_path_factory)
    fast = FastColumnLocations(project.path, project.path)
    exact = ColumnLocations(project.path, project.path)
    checked = 0
    for node in project.manifest["nodes"].values():
        for column in [*(node.get("columns") or {}), "not_declared"]:
            assert fast(node, column) == exact(node, column), (node["name"], column)
            checked += 1
    assert checked > 30


def test_fast_locator_matches_exact_on_a_generated_project(tmp_path: Path) -> None:
    import yaml

    from bench.generate_project import generate

    project = generate(tmp_path / "gen", models=250)
    fast = FastColumnLocations(project, project)
    exact = ColumnLocations(project, project)
    checked = 0
    for properties in sorted(project.rglob("_properties.yml")):
        relative = properties.relative_to(project).as_posix()
        for model in yaml.safe_load(properties.read_text())["models"]:
            node = {"name": model["name"], "patch_path": f"bench://{relative}"}
            for column in [c["name"] for c in model["columns"]] + ["not_declared"]:
                assert fast(node, column) == exact(node, column), (relative, model["name"])
                checked += 1
    assert checked > 1000
