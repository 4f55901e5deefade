"""The governance rules over a project's facts: data in, CheckResult out (no files, no dbt).

`evaluate` is what `floe-ci check` and the pull-request review compute; the I/O around it
(floe.yaml, `dbt parse`, lineage) is `floe_ci.app.check`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from floe_ci import __version__
from floe_ci.artifacts import ColumnClassification
from floe_ci.governance.classifications import read_classification
from floe_ci.governance.incremental import Incremental, Stored, evaluate_rules
from floe_ci.governance.result import CheckResult, CheckStats, Environment, FailOn, Finding
from floe_ci.governance.rules.base import (
    ColumnFacts,
    ColumnLineage,
    ColumnLocator,
    ModelFacts,
    RuleContext,
    SpecLocator,
    join_package_path,
)
from floe_ci.governance.rules.registry import check_rules, rule_keys
from floe_ci.spec.models import FloeSpec

ALL_ENVIRONMENTS: tuple[Environment, ...] = ("production", "non_production")


@dataclass(frozen=True)
class CheckOptions:
    environments: tuple[Environment, ...] = ALL_ENVIRONMENTS
    fail_on: FailOn = "error"
    config_file: str = "floe.yaml"
    base_path: str = "."
    # How the app compiles models whose Jinja reads the warehouse (app/check; the rules
    # never read these): a target of the user's dbt profile, or dbt's catalog.json.
    compile_target: str | None = None
    catalog: str | None = None


def _no_spec_position(path: tuple[str | int, ...]) -> tuple[int, int] | None:
    return None


def locate_patch_file(node: Mapping[str, Any], column: str) -> tuple[str | None, int | None]:
    """The column's properties file (or the model's SQL file), without a line: where a
    finding points when no file can be read (floe_ci.testing; the CLI reads the YAML).
    Paths are relative to the node's package (see `package_locator` for floe.yaml's)."""
    patch = node.get("patch_path")
    if isinstance(patch, str) and patch:
        return patch.split("://", 1)[-1], None
    return str(node.get("original_file_path") or "") or None, None


def package_locator(package_roots: Mapping[str, str]) -> ColumnLocator:
    """locate_patch_file with each path joined to its package's folder (relative to
    floe.yaml's folder, as RuleContext.package_roots holds them)."""
    if not package_roots:
        return locate_patch_file

    def locate(node: Mapping[str, Any], column: str) -> tuple[str | None, int | None]:
        file, line = locate_patch_file(node, column)
        return join_package_path(package_roots, node, file), line

    return locate


def evaluate(
    spec: FloeSpec,
    manifest: Mapping[str, Any],
    lineage: ColumnLineage | None,
    options: CheckOptions = CheckOptions(),
    *,
    locate_column: ColumnLocator | None = None,
    locate_spec: SpecLocator = _no_spec_position,
    package_roots: Mapping[str, str] | None = None,
) -> CheckResult:
    """Run every rule over the facts and return the result, waivers applied, sorted.

    `package_roots` (dbt package -> folder relative to floe.yaml's folder) places the files
    of packages' nodes; `locate_column` defaults to naming them without reading them."""
    roots = package_roots or {}
    locate = locate_column if locate_column is not None else package_locator(roots)
    ctx = build_context(spec, manifest, lineage, options, locate, locate_spec, package_roots=roots)
    return evaluate_context(ctx, options)


def evaluate_context(ctx: RuleContext, options: CheckOptions) -> CheckResult:
    """The check's rules over facts already gathered (the pull-request review reuses the
    context for its own rules, plan.build)."""
    findings: list[Finding] = []
    for rule in check_rules():
        findings.extend(rule().check(ctx))
    return _result(ctx, options, apply_waivers(ctx, findings))


def evaluate_reusing(
    ctx: RuleContext,
    options: CheckOptions,
    project_key: str,
    previous: Mapping[str, Stored],
    file_digest: Callable[[str], str | None],
) -> tuple[CheckResult, Incremental]:
    """evaluate_context, reusing the findings of relations whose facts are unchanged since
    `previous` (governance.incremental); the Incremental says what to keep for next time."""
    waived = partial(apply_waivers, ctx)
    done = evaluate_rules(ctx, check_rules(), project_key, previous, file_digest, waived)
    return _result(ctx, options, done.findings, classified=done.classified), done


def _result(
    ctx: RuleContext,
    options: CheckOptions,
    findings: list[Finding],
    *,
    classified: int | None = None,
) -> CheckResult:
    """The result of findings whose waivers are applied, sorted; `classified` is the
    models' classified columns when known (else they are counted)."""
    findings = sorted({_identity(f): f for f in findings}.values(), key=Finding.sort_key)
    return CheckResult(
        tool_version=__version__,
        pipeline=ctx.spec.name,
        config_file=options.config_file,
        base_path=options.base_path,
        environments=list(options.environments),
        fail_on=options.fail_on,
        stats=_stats(ctx, classified),
        findings=findings,
    )


def _identity(finding: Finding) -> tuple[Any, ...]:
    """Every field of a finding, hashable: two rules reporting the same thing count once."""
    return tuple(
        tuple(value) if isinstance(value, list) else value for value in finding.__dict__.values()
    )


def build_context(
    spec: FloeSpec,
    manifest: Mapping[str, Any],
    lineage: ColumnLineage | None,
    options: CheckOptions,
    locate_column: ColumnLocator,
    locate_spec: SpecLocator,
    *,
    package_roots: Mapping[str, str] | None = None,
    node_digests: Mapping[str, bytes] | None = None,
) -> RuleContext:
    """The facts every rule reads: models with their columns, seeds and sources (`inputs`),
    lineage, and where each package's files are (`package_roots`, see RuleContext).
    `node_digests` (unique_id -> content digest, as the manifest was read) spare the
    incremental evaluation serialising every node again."""
    models: dict[str, ModelFacts] = {}
    inputs: dict[str, ModelFacts] = {}
    facts = _ColumnFactsOf(lineage)
    sources = manifest.get("sources") or {}
    for node_id, node in (*manifest.get("nodes", {}).items(), *sources.items()):
        kind = node.get("resource_type")
        if kind not in ("model", "seed", "source"):
            continue
        relation = ModelFacts(node_id, str(node["name"]), node, str(kind), facts)
        (models if kind == "model" else inputs)[node_id] = relation
    return RuleContext(
        spec=spec,
        spec_file=spec_file_name(options.config_file),
        models=dict(sorted(models.items())),
        locate_column=locate_column,
        locate_spec=locate_spec,
        environments=options.environments,
        rule_keys=rule_keys(),
        lineage=lineage,
        inputs=dict(sorted(inputs.items())),
        package_roots=dict(package_roots or {}),
        node_digests=node_digests or {},
    )


def _floe_meta(column: Mapping[str, Any]) -> Any:
    """The column's `floe` meta block (under `config.meta`, else `meta`); None when absent."""
    config_meta = (column.get("config") or {}).get("meta") or {}
    if "floe" in config_meta:
        return config_meta["floe"]
    plain_meta = column.get("meta")
    return plain_meta.get("floe") if plain_meta else None


class _ColumnFactsOf:
    """The column facts of a model, seed or source, made when a rule first reads them."""

    def __init__(self, lineage: ColumnLineage | None) -> None:
        self.lineage = lineage
        # Generated and large projects repeat the same few meta blocks thousands of times.
        self.classify = _ClassificationCache()

    def __call__(self, relation: ModelFacts) -> dict[str, ColumnFacts]:
        columns: dict[str, ColumnFacts] = {}
        for name, column in (relation.node.get("columns") or {}).items():
            meta = _floe_meta(column)
            if meta is None:
                columns[name.lower()] = ColumnFacts(name, True, column.get("data_type"))
                continue
            waive, reason = _waiver(meta)
            columns[name.lower()] = ColumnFacts(
                name=name,
                declared=True,
                data_type=column.get("data_type"),
                meta=meta,
                classification=self.classify(meta),
                waive=waive,
                waive_reason=reason,
            )
        lineage = self.lineage
        if lineage is None:
            return columns
        if relation.resource_type != "model":
            # a seed's CSV header (a source's columns are its declared ones)
            known = lineage.relation_columns(relation.node_id)
        else:
            known = lineage.columns(relation.node_id)
        for name in known or ():
            lower = name.lower()
            if lower not in columns:  # undeclared: known from the SQL (or the CSV) only
                columns[lower] = ColumnFacts(name, False)
        return columns

    def classified(self, relation: ModelFacts) -> int:
        # as __call__ keys them: a later column of the same lower-case name replaces one
        by_name: dict[str, bool] = {}
        for name, column in (relation.node.get("columns") or {}).items():
            meta = _floe_meta(column)
            by_name[name.lower()] = meta is not None and self.classify(meta) is not None
        return sum(by_name.values())


class _ClassificationCache:
    def __init__(self) -> None:
        self._seen: dict[Any, ColumnClassification | None] = {}

    def __call__(self, meta: Any) -> ColumnClassification | None:
        try:
            key: Any = tuple(sorted(meta.items())) if isinstance(meta, Mapping) else None
            hash(key)
        except TypeError:  # unhashable values (lists): read it without the cache
            key = None
        if key is None:
            return read_classification(meta)
        if key not in self._seen:
            self._seen[key] = read_classification(meta)
        return self._seen[key]


def spec_file_name(config_file: str) -> str:
    """floe.yaml relative to its own folder, like every other finding's file."""
    return Path(config_file).name


def _waiver(meta: Any) -> tuple[frozenset[str], str | None]:
    """Rules waived for a column; a waiver without a reason waives nothing (FLOE109 says so)."""
    if not isinstance(meta, Mapping) or "waive" not in meta:
        return frozenset(), None
    waive = meta["waive"]
    names = [waive] if isinstance(waive, str) else waive
    reason = meta.get("reason")
    if not isinstance(names, list) or not isinstance(reason, str) or not reason.strip():
        return frozenset(), None
    return frozenset(str(n).lower() for n in names if isinstance(n, str)), reason.strip()


def apply_waivers(ctx: RuleContext, findings: Iterable[Finding]) -> list[Finding]:
    result = []
    for finding in findings:
        facts = None
        if finding.node_id and finding.column:
            model = ctx.models.get(finding.node_id)
            facts = model.columns.get(finding.column.lower()) if model else None
        if facts is not None and (
            finding.rule_id.lower() in facts.waive or finding.rule_name in facts.waive
        ):
            finding = finding.model_copy(
                update={"waived": True, "waiver_reason": facts.waive_reason}
            )
        result.append(finding)
    return result


def _stats(ctx: RuleContext, classified: int | None = None) -> CheckStats:
    lineage = ctx.lineage
    if classified is None:
        classified = sum(model.classified_count() for model in ctx.models.values())
    with_lineage = unresolved = 0
    if lineage is not None:
        for node_id in ctx.models:
            with_lineage += len(lineage.columns(node_id) or ())
            unresolved += 1 if lineage.model_error(node_id) is not None else 0
    return CheckStats(
        models=len(ctx.models),
        classified_columns=classified,
        columns_with_lineage=with_lineage,
        models_unresolved=unresolved,
    )
