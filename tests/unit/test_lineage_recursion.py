"""A model whose analysis recurses without end fails alone, with a reason, not the check."""

from __future__ import annotations

from typing import Any

import pytest

from floe_ci.lineage import sql_columns
from floe_ci.lineage.builder import build_lineage
from floe_ci.lineage.cache_format import LineageCache
from floe_ci.testing import Model, Project, _GivenSql


def test_a_recursion_error_fails_only_that_model(monkeypatch: pytest.MonkeyPatch) -> None:
    project = Project(
        models=[
            Model("deep", "select 1 as a"),
            Model("fine", "select 2 as b"),
        ]
    )
    manifest = project.manifest()
    analyse = sql_columns.analyse_sql

    def analyse_or_recurse(sql: str, *args: Any) -> Any:
        if "1 as a" in sql:
            raise RecursionError("maximum recursion depth exceeded")
        return analyse(sql, *args)

    monkeypatch.setattr(sql_columns, "analyse_sql", analyse_or_recurse)
    built = build_lineage(manifest, _GivenSql(manifest), LineageCache(), {})
    [deep] = [uid for uid in manifest["nodes"] if uid.endswith(".deep")]
    [fine] = [uid for uid in manifest["nodes"] if uid.endswith(".fine")]
    assert built.lineage.model_error(deep) == "the SQL analysis exceeded Python's recursion limit"
    assert built.lineage.columns(fine) == ["b"]
