"""floe_ci.testing: the rule test helper builds what dbt would, and says why a check failed."""

from __future__ import annotations

import re
import textwrap
from typing import Any

import pytest

import floe_ci.testing
from floe_ci.testing import Model, Project, Seed, Source, check_fails, check_passes, run_rule

UNPOLICED = Project(
    models=[
        Model("m", "select 1 as id, 'x' as email", columns={"email": {"classification": "pii"}})
    ]
)


def test_the_documented_example_runs() -> None:
    # The literal block after the first `::`, up to the next unindented line.
    doc = floe_ci.testing.__doc__ or ""
    block = doc.split("::\n", 1)[1]
    example = re.split(r"\n(?=\S)", block, maxsplit=1)[0]
    namespace: dict[str, Any] = {}
    exec(textwrap.dedent(example), namespace)
    tests = [name for name in namespace if name.startswith("test_")]
    assert len(tests) == 2
    for name in tests:
        namespace[name]()


def test_the_manifest_is_what_dbt_would_compile() -> None:
    project = Project(
        sources=[Source("crm", "customers", columns=["id", "email"])],
        seeds=[Seed("countries", columns=["code", "name"])],
        models=[
            Model(
                "stg",
                "select c.id, k.name from {{ source('crm', 'customers') }} c "
                "join {{ ref('countries') }} k on true",
                folder="staging",
            ),
            Model("scores", language="python", depends_on=["stg"], folder="marts"),
        ],
    )
    nodes = project.manifest()["nodes"]
    stg = nodes["model.shop.stg"]
    assert stg["compiled_code"] == (
        'select c.id, k.name from "warehouse"."crm"."customers" c '
        'join "warehouse"."main"."countries" k on true'
    )
    assert stg["depends_on"]["nodes"] == ["seed.shop.countries", "source.shop.crm.customers"]
    assert (stg["fqn"], stg["original_file_path"]) == (
        ["shop", "staging", "stg"],
        "models/staging/stg.sql",
    )
    assert nodes["model.shop.scores"]["original_file_path"] == "models/marts/scores.py"
    lineage = project.context().lineage
    assert lineage is not None
    assert [(r.node_id, r.column) for r in lineage.upstream("model.shop.stg", "name")] == [
        ("seed.shop.countries", "name")
    ]
    assert lineage.model_error("model.shop.scores") == "a python model has no SQL to analyse"


def test_a_missing_parent_is_a_mistake_in_the_test() -> None:
    with pytest.raises(ValueError, match="depends on `stg`, which the project lacks"):
        Project(models=[Model("m", "select * from {{ ref('stg') }}")]).manifest()


def test_check_passes_and_check_fails_say_what_they_saw() -> None:
    with pytest.raises(
        AssertionError, match=r"FLOE101 should pass, but reported:\n  FLOE101 m.email"
    ):
        check_passes("FLOE101", UNPOLICED)
    with pytest.raises(AssertionError, match="FLOE102 should report a finding, but passed"):
        check_fails("FLOE102", UNPOLICED)
    assert [f.rule_id for f in check_fails("unpoliced-classification", UNPOLICED)] == ["FLOE101"]


def test_a_review_rule_needs_a_base() -> None:
    with pytest.raises(TypeError, match="FLOE501 compares two revisions"):
        run_rule("FLOE501", UNPOLICED)
