"""`floe-ci check`: load -> `dbt parse` when needed -> lineage -> rules -> CheckResult.

The I/O around the pure core (`floe_ci.governance.evaluate`): floe.yaml, the manifest,
the lineage and its cache, the properties-file locations, the base revision's stored result.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from floe_ci.app.findings_memo import FindingsMemo
from floe_ci.app.progress import step
from floe_ci.app.state_guard import locked_by_project
from floe_ci.gc_tuning import collector_paused, long_lived_objects
from floe_ci.governance.evaluate import (
    CheckOptions,
    build_context,
    evaluate_context,
    evaluate_reusing,
)
from floe_ci.governance.result import CheckResult
from floe_ci.governance.rules.base import RuleContext

if TYPE_CHECKING:
    from floe_ci.integrations.dbt.compiled_sql import Warehouse
    from floe_ci.integrations.dbt.parse import TargetFields, UserTarget
    from floe_ci.lineage.builder import Analyser


@dataclass(frozen=True)
class CheckRun:
    """One check with the facts it was computed from (the review compares two of them)."""

    context: RuleContext
    manifest: Mapping[str, Any]
    result: CheckResult


def run_check(
    config_path: Path,
    options: CheckOptions,
    *,
    refresh_manifest: bool = False,
    manifest_path: Path | None = None,
    elsewhere: Analyser | None = None,
) -> CheckResult:
    """Load floe.yaml, obtain the manifest and the lineage, and evaluate the rules."""
    return collect_check(
        config_path,
        options,
        refresh_manifest=refresh_manifest,
        manifest_path=manifest_path,
        elsewhere=elsewhere,
    ).result


@locked_by_project  # parallel runs on one checkout wait, never read a half-written manifest
def collect_check(
    config_path: Path,
    options: CheckOptions,
    *,
    refresh_manifest: bool = False,
    manifest_path: Path | None = None,
    fixed_revision: str | None = None,
    elsewhere: Analyser | None = None,
) -> CheckRun:
    """The I/O around the pure core: floe.yaml, `dbt parse` when needed, lineage, rules.

    `fixed_revision` (a commit whose checkout nobody edits, such as a review's base) lets
    the check trust an existing manifest without comparing file times, and keep its result
    under `.floe/cache/result/` so that the next run with the same inputs reads it back.
    `elsewhere` analyses SQL in a helper process while it can (app.analysis_helper).
    """
    from floe_ci.app.compile import dbt_project_of, state_dir_for
    from floe_ci.app.spec_file import load_spec
    from floe_ci.app.state_guard import private_state_if_committed
    from floe_ci.errors import FloeUsageError
    from floe_ci.integrations.dbt.column_locations import FastColumnLocations
    from floe_ci.integrations.dbt.manifest_file import read_manifest_reusing
    from floe_ci.integrations.dbt.parse import (
        TargetFields,
        catalog_path,
        check_parse_project,
        ensure_manifest,
    )

    shown = options.config_file
    options = replace(options, base_path=repository_base(config_path))
    with step("spec", "floe.yaml"):
        loaded = load_spec(config_path, shown)
        project = dbt_project_of(loaded, shown)
    if project is None:
        raise FloeUsageError.single(
            shown,
            "floe.yaml lists no dbt transform, so there is nothing to check",
            hint="add `transforms: [{type: dbt, path: .}]`",
        )
    state_dir = state_dir_for(config_path)
    # Committed state (a forged cache, a stale manifest) is never trusted: see the helper.
    state_dir, distrusted = private_state_if_committed(config_path, state_dir)
    refresh_manifest = refresh_manifest or distrusted
    target = None
    if options.compile_target is not None:
        from floe_ci.integrations.dbt.parse import user_target

        target = user_target(project, options.compile_target, shown)
    # floe-ci's own target folder: the user's `target/` stays theirs
    project = check_parse_project(project, state_dir, options.compile_target)
    # the profile of the parse is known only when floe-ci ran it (not `--manifest FILE`)
    parsed_here = manifest_path is None
    if manifest_path is None:
        if fixed_revision is not None and project.manifest_path.is_file() and not distrusted:
            manifest_path = project.manifest_path
        else:
            manifest_path = ensure_manifest(
                project, state_dir, refresh_manifest, target, parsing=_parse_step(target)
            )
    stored = None
    if fixed_revision is not None:
        from floe_ci.app.result_cache import ResultCache

        stored = ResultCache.for_commit(
            state_dir / "cache" / "result", fixed_revision, options, config_path, manifest_path
        )
    lineage_dir = state_dir / "cache" / "lineage"
    with long_lived_objects() as settled:
        # Frozen before the collector runs again: its next collection would walk the
        # manifest's millions of new objects (~0.05 s at 5,000 models).
        with step("manifest", "manifest load"), collector_paused():
            checked = read_manifest_reusing(manifest_path, state_dir / "cache" / "manifest")
            manifest = checked.data
            settled()
        from floe_ci.integrations.dbt.lineage import build_column_lineage
        from floe_ci.integrations.dbt.packages import package_roots, relative_roots

        packages = package_roots(project)
        own_catalog = catalog_path(project) if target is not None else None
        fields = TargetFields(project, target) if parsed_here else None
        warehouse = _warehouse(options, target, manifest, own_catalog, fields)
        with step("lineage", unit="models") as lineage_step:
            lineage = build_column_lineage(
                manifest,
                project,
                lineage_dir,
                packages=packages,
                warehouse=warehouse,
                on_model=lineage_step.update,
                elsewhere=elsewhere,
            )
        settled()

        def locate_spec(path: tuple[str | int, ...]) -> tuple[int, int] | None:
            position = loaded.document.position_of(path)
            return (position.line, position.column) if position else None

        root = config_path.resolve().parent
        locations = FastColumnLocations(
            project.path, root, state_dir / "cache" / "locations", packages
        )
        # Facts and findings make no reference cycles worth collecting: the collector is
        # paused while they are made (it walked them for ~0.05 s of a warm 5,000-model check).
        with collector_paused(), step("rules", unit="relations evaluated") as rules_step:
            context = build_context(
                loaded.spec,
                manifest,
                lineage,
                options,
                locations,
                locate_spec,
                package_roots=relative_roots(packages, root),
                node_digests=checked.digests,
            )
            settled()
            result = stored.load() if stored is not None else None
            if result is None and stored is None:
                # a working tree: what the last check found stands where nothing changed
                memo = FindingsMemo(state_dir / "cache" / "findings", root, options)
                result, done = evaluate_reusing(
                    context, options, memo.project_key, memo.load(), memo.file_digest
                )
                memo.save(done.relations)
                rules_step.update(done.evaluated, len(context.models) + len(context.inputs))
                locations.save()
            elif result is None:
                result = evaluate_context(context, options)
                locations.save()
                if stored is not None:
                    stored.save(result)
            settled()  # else the first collection after the pause walks all the findings
        return CheckRun(context, manifest, result)


def with_durations(result: CheckResult, durations: Mapping[str, float]) -> CheckResult:
    """The result with the seconds of this run's steps in its stats (rounded to ms)."""
    seconds = {key: round(value, 3) for key, value in durations.items()}
    stats = result.stats.model_copy(update={"durations": seconds})
    return result.model_copy(update={"stats": stats})


def _parse_step(target: UserTarget | None) -> Callable[[], AbstractContextManager[object]]:
    """The progress step of the parse, when one runs (`docs generate` with a target)."""
    label = "dbt parse" if target is None else f"dbt docs generate ({target.name})"
    return lambda: step("dbt_parse", label)


def _warehouse(
    options: CheckOptions,
    target: UserTarget | None,
    manifest: Mapping[str, Any],
    own_catalog: Path | None,
    fields: TargetFields | None = None,
) -> Warehouse | None:
    """How models that read the warehouse compile, and where the columns of relations no
    SQL describes (sources read by `select *`) come from: the user's target with the
    catalog.json its `docs generate` wrote (`own_catalog`), or `--catalog FILE`, or
    nothing (such models are reported as needing the warehouse)."""
    from floe_ci.dbt_manifest import Manifest
    from floe_ci.integrations.dbt.compiled_sql import Warehouse, catalog_columns

    catalog_file = options.catalog
    if catalog_file is None and own_catalog is not None and own_catalog.is_file():
        catalog_file = str(own_catalog)
    columns = None
    if catalog_file is not None:
        columns = catalog_columns(Manifest(manifest), _read_catalog(catalog_file))
    if target is not None:
        return Warehouse(
            profiles_dir=target.profiles_dir,
            target=target.name,
            columns=columns,
            target_fields=fields,
        )
    return None if columns is None else Warehouse(columns=columns, target_fields=fields)


def _read_catalog(file: str) -> Mapping[str, Any]:
    from floe_ci import fastjson
    from floe_ci.errors import FloeUsageError

    try:
        catalog = fastjson.loads(Path(file).read_bytes())
    except (OSError, ValueError) as exc:
        raise FloeUsageError.single(
            file,
            f"cannot read dbt's catalog: {exc}",
            hint="`dbt docs generate` writes target/catalog.json",
        ) from None
    if not isinstance(catalog, dict) or "nodes" not in catalog:
        raise FloeUsageError.single(
            file, "not a dbt catalog.json (no `nodes`)", hint="`dbt docs generate`"
        )
    return catalog


def repository_base(config_path: Path) -> str:
    """The folder of floe.yaml relative to the enclosing git repository (or the cwd)."""
    folder = config_path.resolve().parent
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return folder.relative_to(candidate).as_posix() or "."
    try:
        return folder.relative_to(Path.cwd().resolve()).as_posix() or "."
    except ValueError:
        return folder.as_posix()
