"""`floe-ci check` on real dbt projects: Fivetran's HubSpot and Shopify packages.

The corpus (../shared/corpus next to the repository, see its README) holds each package at a
release tag with its `integration_tests/` project and the installed `dbt_packages/`. Each
test unpacks one into a temporary folder (never into the repository), makes the package
folder a git repository (the repository root findings are relative to), classifies a few
upstream columns in the package's own properties YAML (the package is a local one: `local:
../`), seeds DuckDB once (`dbt seed`, as the README says), builds the project there (`dbt
run`: macros read the columns of the models they select from) and checks:

- with `--compile-target`, lineage resolves for at least 95% of the models and the
  classification follows downstream;
- every finding names a file that exists (relative to floe.yaml's folder, and relative to
  the repository root as SARIF shows it), with a line for properties-YAML findings;
- without the warehouse, the models that need it say so (and name the call);
- a warm check with nothing changed starts no dbt at all.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bench.bench_real import FLOE_YAML, PROJECTS, Corpus, classify
from floe_ci.app.check import CheckRun, collect_check
from floe_ci.governance.evaluate import CheckOptions
from tests.conftest import REPO_ROOT

CORPUS = REPO_ROOT.parent / "shared" / "corpus"

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not (CORPUS / "hubspot.tar.gz").is_file(),
        reason=f"the dbt corpus is not here ({CORPUS}): it sits next to the repository "
        "in floe-ci's own environment only",
    ),
]

POLICY = FLOE_YAML  # the same floe.yaml the real-project benchmark checks


DBT_ENV = {"DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}


def _dbt(project: Path, *args: str) -> None:
    dbt = Path(sys.executable).with_name("dbt")
    subprocess.run(
        [str(dbt), *args, "--no-version-check", "--profiles-dir", "."],
        cwd=project,
        env={**os.environ, **DBT_ENV},
        check=False,  # a few seeds fail on DuckDB by design (the README lists them)
        capture_output=True,
    )


@dataclass
class Unpacked:
    corpus: Corpus
    repository: Path  # dbt_NAME/, a git repository
    project: Path  # dbt_NAME/integration_tests/, holding floe.yaml

    @property
    def config(self) -> Path:
        return self.project / "floe.yaml"


_UNPACKED: dict[str, Unpacked] = {}


def _unpack(name: str, tmp_path_factory: pytest.TempPathFactory) -> Unpacked:
    """Unpack, classify, seed and build once per test session (a minute or two)."""
    if name in _UNPACKED:
        return _UNPACKED[name]
    corpus = PROJECTS[name]
    folder = tmp_path_factory.mktemp(f"corpus-{name}")
    with tarfile.open(CORPUS / f"{name}.tar.gz") as archive:
        archive.extractall(folder, filter="data")
    repository = folder / f"dbt_{name}"
    project = repository / "integration_tests"
    subprocess.run(["git", "init", "-q"], cwd=repository, check=True)
    # `dbt deps` links a local package; the tarball holds a copy. Link it, so that the
    # classification the test adds to the package's source is what dbt parses.
    installed = project / "dbt_packages" / name
    shutil.rmtree(installed)
    installed.symlink_to(Path("..") / "..", target_is_directory=True)
    for file, model, column, pii_type in corpus.classified:
        classify(repository, file, model, column, pii_type)
    (project / "floe.yaml").write_text(POLICY.format(name=name))
    _dbt(project, "seed")
    _dbt(project, "run")  # a developer's target: the models' columns are read to compile
    _UNPACKED[name] = Unpacked(corpus, repository, project)
    return _UNPACKED[name]


def _check(unpacked: Unpacked, **options: Any) -> CheckRun:
    shown = str(unpacked.config)
    return collect_check(unpacked.config, CheckOptions(config_file=shown, **options))


@pytest.mark.parametrize("name", sorted(PROJECTS))
def test_a_cold_check_with_the_users_target_resolves_the_project(
    name: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    unpacked = _unpack(name, tmp_path_factory)
    shutil.rmtree(unpacked.project / ".floe", ignore_errors=True)
    run = _check(unpacked, compile_target="duckdb")
    lineage = run.context.lineage
    assert lineage is not None
    models = list(run.context.models)
    unresolved = {uid: lineage.model_error(uid) for uid in models if lineage.model_error(uid)}
    assert len(models) - len(unresolved) >= 0.95 * len(models), unresolved

    result = run.result
    assert result.findings
    for finding in result.findings:
        assert finding.file is not None, finding
        assert (unpacked.project / finding.file).is_file(), finding.file
        assert (unpacked.repository / str(result.repo_path(finding))).is_file(), finding.file
        assert "dbt_packages" not in finding.file  # the local package's source, not its copy
        if finding.file.endswith((".yml", ".yaml")):
            assert finding.line is not None, finding
    # the classification follows downstream: the package's marts carry the email
    model = unpacked.corpus.classified[0][1]
    followed = [f for f in result.findings if f.lineage_path[:1] == [f"{model}.email"]]
    assert followed, [f.rule_id for f in result.findings]


@pytest.mark.parametrize("name", sorted(PROJECTS))
def test_without_the_warehouse_the_models_that_need_it_say_so(
    name: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    unpacked = _unpack(name, tmp_path_factory)
    shutil.rmtree(unpacked.project / ".floe", ignore_errors=True)
    run = _check(unpacked)
    lineage = run.context.lineage
    assert lineage is not None
    reasons = [lineage.model_error(uid) or "" for uid in run.context.models]
    needing = [r for r in reasons if r.startswith("needs the warehouse to compile")]
    assert needing, reasons
    calls = ("get_columns_in_relation", "get_relation", "run_query", "statement")
    assert all(any(f"{call}`" in r for call in calls) for r in needing), needing
    assert not [r for r in reasons if "no reason given" in r]

    # Checked again, nothing changed: the same verdicts without rendering any model again
    # (that loaded dbt's adapter and took ~4 s of every warm check of these packages).
    from floe_ci.integrations.dbt import compiled_sql

    def no_render(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a warm check rendered a model in dbt's context again")

    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(compiled_sql, "JinjaRenderer", no_render)
        again = _check(unpacked)
    assert again.context.lineage is not None
    assert [again.context.lineage.model_error(uid) or "" for uid in again.context.models] == reasons


@pytest.mark.parametrize("name", sorted(PROJECTS))
def test_a_warm_check_with_nothing_changed_starts_no_dbt(
    name: str, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    unpacked = _unpack(name, tmp_path_factory)
    _check(unpacked, compile_target="duckdb")  # cold, unless the test above ran

    def no_dbt(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a warm check started dbt")

    from floe_ci.integrations.dbt import compiled_sql, parse

    monkeypatch.setattr(compiled_sql, "start_dbt_compile", no_dbt)
    monkeypatch.setattr(parse, "run_dbt_parse", no_dbt)
    started = time.perf_counter()
    run = _check(unpacked, compile_target="duckdb")
    elapsed = time.perf_counter() - started
    lineage = run.context.lineage
    assert lineage is not None
    assert lineage.stats.analysed == 0  # type: ignore[attr-defined]
    assert elapsed < 30, elapsed  # ~2 s here; generous for a loaded CI machine


@pytest.mark.parametrize("name", sorted(PROJECTS))
def test_models_that_read_the_warehouse_render_as_dbt_compiles_them(
    name: str, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    """The oracle is dbt itself: `dbt compile` against the same built DuckDB. Every model
    floe-ci renders in dbt's context with the catalog's answers (Fivetran's
    `fill_staging_columns`, `union_data`, `dbt_utils.star`) gives dbt's SQL, and most of
    them render so (the others go to dbt)."""
    import re

    from floe_ci import fastjson
    from floe_ci.dbt_manifest import Manifest
    from floe_ci.integrations.dbt.compiled_sql import (
        _Renderer,
        catalog_columns,
        warehouse_reads,
    )
    from floe_ci.integrations.dbt.jinja_render import JinjaRenderer
    from floe_ci.integrations.dbt.parse import TargetFields, UserTarget
    from floe_ci.integrations.dbt.project import read_project

    unpacked = _unpack(name, tmp_path_factory)
    shutil.rmtree(unpacked.project / ".floe", ignore_errors=True)
    _check(unpacked, compile_target="duckdb")
    own = unpacked.project / ".floe" / "cache" / "target-duckdb"
    manifest = fastjson.loads((own / "manifest.json").read_bytes())
    columns = catalog_columns(
        Manifest(manifest), fastjson.loads((own / "catalog.json").read_bytes())
    )
    project = read_project(unpacked.project, str(unpacked.project))
    fields = TargetFields(project, UserTarget(unpacked.project.resolve(), "duckdb"))
    plain = _Renderer(manifest)
    renderer = JinjaRenderer(manifest, project, plain.ref, plain.source, columns, fields)
    renderer.resolve = plain.resolve  # ephemeral models become dbt's CTEs

    _dbt(unpacked.project, "compile", "--target-path", str(tmp_path / "dbt"))
    compiled = fastjson.loads((tmp_path / "dbt" / "manifest.json").read_bytes())["nodes"]

    def words(sql: str) -> str:
        return re.sub(r"\s+", " ", sql).strip()

    rendered, differ = 0, []
    reading = [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        and warehouse_reads(manifest, node)
        and node["config"].get("materialized") != "incremental"  # is_incremental(): False
        and (compiled.get(node["unique_id"]) or {}).get("compiled_code")
    ]
    for node in reading:
        sql = renderer.render(node)
        if sql is None:
            continue
        rendered += 1
        if words(sql) != words(compiled[node["unique_id"]]["compiled_code"]):
            differ.append(node["unique_id"])
    assert not differ, differ
    assert rendered >= 0.8 * len(reading), (rendered, len(reading))


@pytest.mark.parametrize("name", sorted(PROJECTS))
def test_a_warm_check_reuses_findings_and_finds_what_a_full_check_finds(
    name: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Incremental evaluation on a real project of hundreds of models, most from a
    package: each edit a pull request makes gives the full evaluation's findings, and
    only the relations it reaches are evaluated again (tests/incremental_support.py)."""
    from tests.incremental_support import context_of, edited, reuse_against_full, set_floe

    unpacked = _unpack(name, tmp_path_factory)
    run = _check(unpacked, compile_target="duckdb")
    ctx = run.context
    every = len(ctx.models) + len(ctx.inputs)
    _file, model, column, _pii_type = unpacked.corpus.classified[0]
    upstream = next(uid for uid, m in ctx.models.items() if m.name == model)
    leaf = next(
        uid for uid in sorted(ctx.models) if not any(uid in m.parents for m in ctx.models.values())
    )
    edits = {
        "declassify the upstream email": lambda m: set_floe(m, upstream, column, None),
        "classify a leaf column": lambda m: set_floe(
            m, leaf, "pii_note", {"classification": "pii", "sensitivity": "high"}
        ),
        "describe a leaf model": lambda m: m["nodes"][leaf].update(description="changed"),
    }
    assert reuse_against_full(ctx, context_of(ctx, run.manifest)) == 0
    for label, edit in edits.items():
        evaluated = reuse_against_full(ctx, context_of(ctx, edited(run.manifest, edit)))
        assert 1 <= evaluated < every, (label, evaluated, every)
        if "leaf" in label:  # the leaf, and the seeds and sources it reads
            reads = [p for p in ctx.models[leaf].parents if p in ctx.inputs]
            assert evaluated <= 1 + len(reads), (label, evaluated)
