"""Unit-test one governance rule without dbt or files: a small project as data, findings out.

In the spirit of dbt-bouncer's `check_passes` / `check_fails`: a test describes the few
models, sources and seeds the rule is about, and the floe.yaml settings it reads; the helper
builds the manifest dict dbt would write, the column lineage (the real analysis: sqlglot over
each model's SQL, with `{{ ref() }}` and `{{ source() }}` replaced by relation names as dbt
compiles them), the FloeSpec and the RuleContext, runs the one rule and returns its findings,
waivers applied. A review rule (FLOE5xx) compares a `base` project with the head::

    from dataclasses import replace

    from floe_ci.testing import Model, Project, Source, check_fails, check_passes

    POLICIES = {"pii": {"production": {"action": "restrict", "requires_role": ["pii_reader"]},
                        "non_production": {"action": "mask"}}}
    STAGING = Model(
        "stg_customers",
        "select id, lower(email) as email from {{ source('crm', 'customers') }}",
        columns={"id": None, "email": {"classification": "pii", "sensitivity": "high"}},
    )
    CONTACTS = Model("contacts", "select email as contact from {{ ref('stg_customers') }}")
    SHOP = Project(
        sources=[Source("crm", "customers", columns=["id", "email"])],
        models=[STAGING, CONTACTS],
        spec={"governance": {"policies": POLICIES}},
    )

    def test_a_renamed_email_must_stay_classified() -> None:
        [finding] = check_fails("FLOE301", SHOP)
        assert finding.lineage_path == ["stg_customers.email", "contacts.contact"]
        classified = replace(CONTACTS, columns={"contact": {"classification": "pii",
                                                            "sensitivity": "high"}})
        check_passes("FLOE301", replace(SHOP, models=[STAGING, classified]))

    def test_removing_a_classification_is_flagged_for_review() -> None:
        head = replace(SHOP, models=[replace(STAGING, columns={"id": None, "email": None})])
        [finding] = check_fails("FLOE501", head, base=SHOP)
        assert finding.column == "email"

`check_fails` returns the findings that count (not waived) and fails when there are none;
`check_passes` fails listing what was reported; `run_rule` returns every finding, waived
ones included. `spec` is floe.yaml as a dict (missing `name` and `compute` are filled in) or
as YAML text, which also gives spec findings their line and column. Only `ref()` and
`source()` are rendered: write the rest of the SQL as dbt would compile it. As in a real
check, the columns a model's SQL outputs count even when `columns` does not declare them.
Findings on declared columns name the model's properties file (`models/<folder>/_schema.yml`)
without a line; undeclared ones carry the line of the column's alias in the model's SQL.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from floe_ci.governance.evaluate import (
    ALL_ENVIRONMENTS,
    CheckOptions,
    apply_waivers,
    build_context,
    evaluate_context,
    locate_patch_file,
)
from floe_ci.governance.result import Environment, Finding
from floe_ci.governance.rules.base import Rule, RuleContext, SpecLocator
from floe_ci.governance.rules.registry import find_rule
from floe_ci.governance.rules.review import Changes, ReviewRule
from floe_ci.lineage.builder import build_lineage
from floe_ci.lineage.cache_format import LineageCache
from floe_ci.lineage.column_lineage import ColumnLineage
from floe_ci.plan.build import build_plan
from floe_ci.plan.snapshot import PipelineSnapshot
from floe_ci.spec.loader import parse_spec
from floe_ci.spec.models import FloeSpec

DATABASE = "warehouse"
SCHEMA = "main"

_REF = re.compile(r"\{\{-?\s*ref\(\s*(['\"])([^'\"]+)\1\s*\)\s*-?\}\}")
_SOURCE = re.compile(
    r"\{\{-?\s*source\(\s*(['\"])([^'\"]+)\1\s*,\s*(['\"])([^'\"]+)\3\s*\)\s*-?\}\}"
)


@dataclass(frozen=True)
class Model:
    """A dbt model: its SQL and the columns its properties YAML declares.

    `columns` maps a declared column to its `meta.floe` block (any value, so malformed meta
    can be tested; None declares the column without one), or lists names declared without
    meta. `depends_on` adds parents by name (a model, a seed, or `source_name.table`) to
    those the SQL's `ref()` and `source()` name: a Python model (`language="python"`, no
    SQL) has only these. `folder` is the path under models/ (`marts` makes it a mart).
    """

    name: str
    sql: str | None = None
    columns: Mapping[str, Any] | Sequence[str] = ()
    data_types: Mapping[str, str] = field(default_factory=dict)
    depends_on: Sequence[str] = ()
    folder: str = ""
    tags: Sequence[str] = ()
    language: str = "sql"
    materialized: str = "view"


@dataclass(frozen=True)
class Source:
    """A dbt source table (`source_name.name`) and its declared columns."""

    source_name: str
    name: str
    columns: Sequence[str] = ()


@dataclass(frozen=True)
class Seed:
    """A dbt seed; `columns` is its CSV header."""

    name: str
    columns: Sequence[str] = ()


@dataclass(frozen=True)
class Project:
    """A dbt project and its floe.yaml, as data. `lineage=False`: the rules see none."""

    models: Sequence[Model] = ()
    sources: Sequence[Source] = ()
    seeds: Sequence[Seed] = ()
    spec: Mapping[str, Any] | str | None = None
    name: str = "shop"
    lineage: bool = True

    def manifest(self) -> dict[str, Any]:
        """The manifest dict `dbt parse` would write for the project (the fields floe-ci
        reads), with each model's SQL compiled as `compiled_code`."""
        ids = self._unique_ids()
        nodes: dict[str, Any] = {}
        for seed in self.seeds:
            uid = ids[seed.name]
            nodes[uid] = {
                **self._relation(uid, "seed", seed.name, SCHEMA),
                "original_file_path": f"seeds/{seed.name}.csv",
                "columns": {},
                "depends_on": {"nodes": []},
            }
        for model in self.models:
            uid = ids[model.name]
            nodes[uid] = self._model_node(uid, model, ids)
        sources: dict[str, Any] = {}
        for source in self.sources:
            uid = ids[f"{source.source_name}.{source.name}"]
            sources[uid] = {
                **self._relation(uid, "source", source.name, source.source_name),
                "source_name": source.source_name,
                "identifier": source.name,
                "original_file_path": "models/_sources.yml",
                "columns": {c: {"name": c, "meta": {}} for c in source.columns},
            }
        return {
            "metadata": {"adapter_type": "duckdb", "project_name": self.name},
            "nodes": nodes,
            "sources": sources,
            "exposures": {},
        }

    def column_lineage(self, manifest: Mapping[str, Any]) -> ColumnLineage | None:
        """The real column lineage of the manifest's models, from their compiled SQL."""
        if not self.lineage:
            return None
        seeds = {f"seed.{self.name}.{s.name}": [c.lower() for c in s.columns] for s in self.seeds}
        sql = _GivenSql(manifest)
        return build_lineage(manifest, sql, LineageCache(), seeds, dialect="duckdb").lineage

    def floe_spec(self) -> tuple[FloeSpec, SpecLocator]:
        """floe.yaml parsed, and where its keys are (known when it was given as text)."""
        if isinstance(self.spec, str):
            loaded = parse_spec(self.spec.encode(), Path("floe.yaml"), "floe.yaml")

            def locate(path: tuple[str | int, ...]) -> tuple[int, int] | None:
                position = loaded.document.position_of(path)
                return (position.line, position.column) if position else None

            return loaded.spec, locate
        data = {"name": self.name, "compute": {"target": "duckdb"}, **(self.spec or {})}
        return FloeSpec.model_validate(data), _nowhere

    def context(self, environments: tuple[Environment, ...] = ALL_ENVIRONMENTS) -> RuleContext:
        """What every rule reads, built as `floe-ci check` builds it (governance.evaluate)."""
        return self._facts(environments)[1]

    def snapshot(
        self, ref: str, environments: tuple[Environment, ...] = ALL_ENVIRONMENTS
    ) -> PipelineSnapshot:
        """The project as one side of a pull request: its facts and its check's findings."""
        manifest, ctx = self._facts(environments)
        result = evaluate_context(ctx, CheckOptions(environments=environments))
        return PipelineSnapshot(ref, ctx, manifest, result.findings)

    def _facts(self, environments: tuple[Environment, ...]) -> tuple[dict[str, Any], RuleContext]:
        manifest = self.manifest()
        spec, locate_spec = self.floe_spec()
        ctx = build_context(
            spec,
            manifest,
            self.column_lineage(manifest),
            CheckOptions(environments=environments),
            locate_patch_file,
            locate_spec,
        )
        return manifest, ctx

    def _unique_ids(self) -> dict[str, str]:
        """Name -> unique_id of every model, seed and source (`source_name.table`)."""
        ids = {s.name: f"seed.{self.name}.{s.name}" for s in self.seeds}
        ids.update({m.name: f"model.{self.name}.{m.name}" for m in self.models})
        for s in self.sources:
            ids[f"{s.source_name}.{s.name}"] = f"source.{self.name}.{s.source_name}.{s.name}"
        return ids

    def _relation(self, uid: str, kind: str, name: str, schema: str) -> dict[str, Any]:
        return {
            "unique_id": uid,
            "resource_type": kind,
            "name": name,
            "package_name": self.name,
            "database": DATABASE,
            "schema": schema,
        }

    def _model_node(self, uid: str, model: Model, ids: Mapping[str, str]) -> dict[str, Any]:
        parents = [ids[_known(ids, name, model)] for name in model.depends_on]
        compiled = None
        if model.sql is not None:

            def ref(match: re.Match[str]) -> str:
                parents.append(ids[_known(ids, match.group(2), model)])
                return f'"{DATABASE}"."{SCHEMA}"."{match.group(2)}"'

            def source(match: re.Match[str]) -> str:
                key = f"{match.group(2)}.{match.group(4)}"
                parents.append(ids[_known(ids, key, model)])
                return f'"{DATABASE}"."{match.group(2)}"."{match.group(4)}"'

            compiled = _SOURCE.sub(source, _REF.sub(ref, model.sql))
        folder = f"models/{model.folder}/" if model.folder else "models/"
        extension = "py" if model.language == "python" else "sql"
        declared = (
            model.columns if isinstance(model.columns, Mapping) else dict.fromkeys(model.columns)
        )
        columns: dict[str, Any] = {}
        for name, floe in declared.items():
            column: dict[str, Any] = {"name": name, "meta": {} if floe is None else {"floe": floe}}
            if name in model.data_types:
                column["data_type"] = model.data_types[name]
            columns[name] = column
        return {
            **self._relation(uid, "model", model.name, SCHEMA),
            "alias": model.name,
            "fqn": [self.name, *model.folder.split("/"), model.name]
            if model.folder
            else [self.name, model.name],
            "original_file_path": f"{folder}{model.name}.{extension}",
            "patch_path": f"{self.name}://{folder}_schema.yml" if columns else None,
            "language": model.language,
            "raw_code": model.sql or "",
            "compiled_code": compiled,
            "checksum": {"name": "sha256", "checksum": _sha256(model.sql or "")},
            "tags": list(model.tags),
            "config": {"materialized": model.materialized, "tags": list(model.tags)},
            "depends_on": {"nodes": sorted(set(parents)), "macros": []},
            "columns": columns,
        }


def run_rule(
    rule: str,
    project: Project,
    *,
    base: Project | None = None,
    environments: tuple[Environment, ...] = ALL_ENVIRONMENTS,
) -> list[Finding]:
    """Every finding of one rule (id or slug) on `project`, waived ones included, sorted.

    A review rule compares `base` (required) with `project`, the head: both are checked,
    the Plan is built between them, and the rule reads its changes.
    """
    found = find_rule(rule)
    if issubclass(found, Rule):
        ctx = project.context(environments)
        findings = apply_waivers(ctx, found().check(ctx))
    elif issubclass(found, ReviewRule):
        if base is None:
            raise TypeError(f"{found.id} compares two revisions: pass base=Project(...)")
        head = project.snapshot("head", environments)
        plan = build_plan(base.snapshot("base", environments), head)
        changes = Changes(plan.models, plan.policy.classifications, plan.policy.policies)
        findings = list(found().review(head.context, changes))
    else:  # pragma: no cover - every registered rule is one of the two kinds
        raise TypeError(f"{found.id} is neither a check rule nor a review rule")
    return sorted(findings, key=Finding.sort_key)


def check_passes(rule: str, project: Project, **options: Any) -> None:
    """Fail unless the rule reports nothing that counts (waived findings do not count)."""
    counted = [f for f in run_rule(rule, project, **options) if not f.waived]
    if counted:
        listed = "\n".join(f"  {f.rule_id} {f.model}.{f.column}: {f.message}" for f in counted)
        raise AssertionError(f"{rule} should pass, but reported:\n{listed}")


def check_fails(rule: str, project: Project, **options: Any) -> list[Finding]:
    """The rule's findings that count (not waived); fail when there are none."""
    counted = [f for f in run_rule(rule, project, **options) if not f.waived]
    if not counted:
        raise AssertionError(f"{rule} should report a finding, but passed")
    return counted


class _GivenSql:
    """The lineage builder's SqlSource over the `compiled_code` the manifest carries."""

    def __init__(self, manifest: Mapping[str, Any]) -> None:
        self.sql: dict[str, str] = {}
        self.failures: dict[str, str] = {}
        self.pending: dict[str, str] = {}
        self.dbt_compiled: dict[str, tuple[str, str]] = {}
        self.plain: dict[str, tuple[str, str]] = {}
        self.failed: dict[str, tuple[str, str]] = {}
        for uid, node in manifest["nodes"].items():
            if node["resource_type"] != "model":
                continue
            if node["language"] != "sql":  # as integrations/dbt/compiled_sql says it
                self.failures[uid] = f"a {node['language']} model has no SQL to analyse"
            elif node["compiled_code"] is not None:
                self.sql[uid] = node["compiled_code"]

    def has_sql(self, uid: str) -> bool:
        return uid in self.sql

    def digest(self, uid: str) -> str:
        return _sha256(self.sql[uid])

    def sql_of(self, uid: str) -> str | None:
        return self.sql.get(uid)

    def finish(self) -> None:
        """Nothing to wait for: no `dbt compile` runs."""

    def cancel(self) -> None:
        """Nothing to stop."""

    def figures(self) -> dict[str, int]:
        return {
            "compiled_sql_rendered": 0,
            "compiled_sql_from_manifest": len(self.sql),
            "compiled_sql_from_dbt": 0,
            "compiled_sql_cached": 0,
        }


def _known(ids: Mapping[str, str], name: str, model: Model) -> str:
    if name not in ids:
        raise ValueError(f"model `{model.name}` depends on `{name}`, which the project lacks")
    return name


def _nowhere(path: tuple[str | int, ...]) -> tuple[int, int] | None:
    return None


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
