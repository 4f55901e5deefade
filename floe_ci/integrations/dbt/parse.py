"""Obtain a dbt manifest by running `dbt parse` in-process (dbtRunner).

dbt is imported only when parsing (runner.py), so commands that never parse stay fast.
Parsing uses a generated DuckDB in-memory profile: `dbt parse` needs a profile but no
warehouse, and CI must not need warehouse credentials to review a pull request. It parses
into a target folder of floe-ci's own (`.floe/cache/parse-target/`, see
`parse_target_project`), never the user's `target/`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from floe_ci.errors import FloeUsageError
from floe_ci.fsutil import check_writable_folder, check_writable_state, write_atomic
from floe_ci.integrations.dbt.packages import local_packages
from floe_ci.integrations.dbt.project import DbtProject
from floe_ci.integrations.dbt.runner import (
    DbtInvocation,
    confine_dbt_writes,
    invoke,
    remember_parse,
)

PARSE_TARGET = "parse-target"


def parse_target_project(project: DbtProject, state_dir: Path) -> DbtProject:
    """The project as floe-ci parses it: into `<state_dir>/cache/parse-target/`.

    Not the user's `target/`: a parse with floe-ci's in-memory profile would replace the
    manifest their `dbt ... --state target/` compares with, and their
    `partial_parse.msgpack`, which dbt keys by the profile: `dbt parse` and `floe-ci check`
    run in turn would then each parse the whole project."""
    return _into(project, state_dir / "cache" / PARSE_TARGET)


def check_parse_project(
    project: DbtProject, state_dir: Path, compile_target: str | None = None
) -> DbtProject:
    """The project as a check parses it: with `--compile-target NAME` into
    `.floe/cache/target-NAME/` (relation names then agree with the SQL compiled against
    that target, and `dbt compile` reuses the parse), else `parse_target_project`."""
    if compile_target is None:
        return parse_target_project(project, state_dir)
    return _into(project, state_dir / "cache" / f"target-{compile_target}")


def _into(project: DbtProject, folder: Path) -> DbtProject:
    # absolute, links not followed: confine_dbt_writes must see a planted link
    return replace(project, target_path=os.path.abspath(folder))


def write_parse_profile(project: DbtProject, state_dir: Path) -> Path:
    """A profiles.yml whose only target is an in-memory DuckDB, enough for `dbt parse`."""
    profiles_dir = state_dir / "parse-profile"
    profile = {
        project.profile: {
            "target": "parse",
            "outputs": {"parse": {"type": "duckdb", "path": ":memory:", "threads": 1}},
        }
    }
    write_atomic(profiles_dir / "profiles.yml", yaml.safe_dump(profile, sort_keys=True))
    return profiles_dir


@dataclass(frozen=True)
class UserTarget:
    """A target of the user's own dbt profile (`check --compile-target NAME`)."""

    profiles_dir: Path
    name: str


def user_target(project: DbtProject, name: str, shown: str) -> UserTarget:
    """The user's profiles folder as dbt finds it (DBT_PROFILES_DIR, the project's folder,
    the working folder, ~/.dbt), checked to hold the project's profile and the target."""
    candidates = [os.environ.get("DBT_PROFILES_DIR"), project.path, Path.cwd(), _HOME_DBT]
    for candidate in candidates:
        if candidate and (Path(candidate) / "profiles.yml").is_file():
            folder = Path(candidate).resolve()
            break
    else:
        raise FloeUsageError.single(
            shown,
            f"--compile-target {name}: no profiles.yml found for dbt profile `{project.profile}`",
            hint="put profiles.yml in the dbt project's folder or ~/.dbt/, or set DBT_PROFILES_DIR",
        )
    try:
        profiles = yaml.safe_load((folder / "profiles.yml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise FloeUsageError.single(str(folder / "profiles.yml"), f"unreadable: {exc}") from None
    profile = profiles.get(project.profile) if isinstance(profiles, dict) else None
    outputs = profile.get("outputs") if isinstance(profile, dict) else None
    if not isinstance(outputs, dict) or name not in outputs:
        known = ", ".join(sorted(map(str, outputs))) if isinstance(outputs, dict) else "none"
        raise FloeUsageError.single(
            str(folder / "profiles.yml"),
            f"--compile-target {name}: profile `{project.profile}` has no target `{name}`",
            hint=f"targets of that profile: {known}",
        )
    return UserTarget(folder, name)


_HOME_DBT = Path.home() / ".dbt"


def run_dbt_parse(project: DbtProject, state_dir: Path, target: UserTarget | None = None) -> Path:
    """Run `dbt parse` for the project into its `target_path` (floe-ci's own folder:
    `parse_target_project`, or `check --compile-target`'s) and return the manifest path.

    With `target` (`check --compile-target`), dbt parses with that target of the user's
    profile instead, into a target folder of floe-ci's own, then runs `docs generate
    --no-compile` on that parse (no second parse), which writes catalog.json with the
    columns of the sources and built relations. The models whose macros read the
    warehouse (`fill_staging_columns`) then render in-process with the catalog's answers
    (jinja_dbt_context), and only those that still need dbt are compiled by it: compiling
    every model in `docs generate` cost about half a parse more (HubSpot's corpus
    project, 100 of 125 models)."""
    check_writable_state(state_dir)  # a read-only project fails here, before dbt runs
    if target is None:
        profiles_dir, target_name = write_parse_profile(project, state_dir), "parse"
    else:
        profiles_dir, target_name = target.profiles_dir, target.name
    invocation = DbtInvocation(
        "parse",
        project.path,
        profiles_dir,
        target_name,
        state_dir / "logs",
        target_path=project.path / project.target_path,
    )
    confine_dbt_writes(invocation)  # before deleting anything there
    check_writable_folder(invocation.target_folder(), "dbt's target files")
    # floe-ci's own folder: a failed run leaves no older files to be taken for its result
    project.manifest_path.unlink(missing_ok=True)
    catalog_path(project).unlink(missing_ok=True)
    outcome = invoke(invocation)
    command = "parse"
    if target is not None and outcome.success and project.manifest_path.is_file():
        command = "docs generate"
        remember_parse(project.path / project.target_path, outcome.result)
        invocation = replace(invocation, command=command, flags=("--no-compile",))
        outcome = invoke(invocation, release=True, manifest=outcome.result)
    if not project.manifest_path.is_file() or not outcome.success:
        # dbt's exception when it raised one, else what its log says (a model's syntax error)
        reason = outcome.error or outcome.last_log_error().strip()
        raise FloeUsageError.single(
            str(project.path / "dbt_project.yml"),
            f"`dbt {command}` failed: {reason}",
            hint=f"run `dbt {command}` in {project.path} to see dbt's full output; log: "
            f"{invocation.log_file}",
        )
    return project.manifest_path


def catalog_path(project: DbtProject) -> Path:
    """Where `dbt docs generate` writes catalog.json (beside the manifest)."""
    return project.manifest_path.with_name("catalog.json")


def ensure_manifest(
    project: DbtProject,
    state_dir: Path,
    refresh: bool = False,
    target: UserTarget | None = None,
    *,
    parsing: Callable[[], AbstractContextManager[object]] = contextlib.nullcontext,
) -> Path:
    """The project's manifest, re-parsed when missing, when the content dbt reads differs
    from what it was parsed from (integrations/dbt/input_digest), or when `refresh` is
    asked for. `parsing` wraps the parse when one runs (the application's progress
    step)."""
    from floe_ci.integrations.dbt import input_digest

    files = input_digest.input_files(project, local_packages(project.path))
    record = None if refresh else input_digest.stored(project)
    digest = input_digest.compute(project, files, _profile_identity(target), record)
    if input_digest.is_current(project, digest, record):
        if digest.reread:
            input_digest.save(project, digest)  # same content, new file times: read once
        return project.manifest_path
    with parsing():
        path = run_dbt_parse(project, state_dir, target)
    input_digest.save(project, digest)  # taken before the parse: an edit during it re-parses
    return path


def _profile_identity(target: UserTarget | None) -> str:
    """What the parse's profile contributes to the manifest: the generated in-memory DuckDB,
    or the user's target with its profiles.yml."""
    if target is None:
        return "parse-profile:duckdb:memory"
    import hashlib

    try:
        profiles = (target.profiles_dir / "profiles.yml").read_bytes()
    except OSError:
        profiles = b""
    return f"user:{target.profiles_dir}:{target.name}:{hashlib.blake2b(profiles).hexdigest()}"


def load_manifest(path: Path) -> dict[str, Any]:
    from floe_ci.integrations.dbt.manifest_file import read_manifest

    return read_manifest(path)  # checked: every bad shape is a located usage error


class TargetFields:
    """`target_fields` of a check's parse profile, computed when first asked for (it loads
    dbt's adapter, seconds a warm check need not spend); `key` says what they derive from,
    for cache keys, without computing them."""

    def __init__(self, project: DbtProject, target: UserTarget | None) -> None:
        self._project, self._target = project, target
        self._values: dict[str, str] | None = None
        self.key = _profile_identity(target)

    def __call__(self) -> dict[str, str]:
        if self._values is None:
            self._values = target_fields(self._project, self._target)
        return self._values


def target_fields(project: DbtProject, target: UserTarget | None) -> dict[str, str]:
    """`target.type/name/database/schema/profile_name` as dbt's context gives them for the
    profile a check parses with (the user's target, else floe-ci's in-memory one),
    computed by the adapter's own credentials class; a field the profile writes with Jinja
    (`env_var`) is left out (a model that reads it goes to dbt)."""
    if target is None:
        name, output = "parse", {"type": "duckdb", "path": ":memory:", "threads": 1}
    else:
        name = target.name
        try:
            profiles = yaml.safe_load((target.profiles_dir / "profiles.yml").read_text())
            output = profiles[project.profile]["outputs"][name]
        except (OSError, UnicodeDecodeError, yaml.YAMLError, KeyError, TypeError):
            return {}
    if not isinstance(output, dict) or not isinstance(output.get("type"), str):
        return {}
    plain = {k: v for k, v in output.items() if not (isinstance(v, str) and "{" in v)}
    fields = {"type": str(output["type"]), "name": name, "profile_name": project.profile}
    try:
        from dbt.adapters.factory import FACTORY

        credentials = FACTORY.load_plugin(fields["type"])
        settings = {k: v for k, v in plain.items() if k not in ("type", "threads")}
        parsed = credentials.from_dict(credentials.translate_aliases(settings))
        fields.update(database=str(parsed.database), schema=str(parsed.schema))
    except Exception:  # credentials that do not load: the plain fields only
        for key, alias in (("database", "dbname"), ("schema", "schema")):
            value = plain.get(key, plain.get(alias))
            if isinstance(value, str):
                fields[key] = value
    return fields
