"""dbt profiles generated from CompiledArtifacts, one target per pipeline.

Credentials never appear in a profile: they are `{{ env_var('...') }}` references whose
names derive from `compute.connection_secret_ref`. The reference is upper-cased, every
character that is not a letter or digit becomes `_`, and a suffix names the part:

    connection_secret_ref: warehouse   ->  WAREHOUSE_USER, WAREHOUSE_PASSWORD
                                            WAREHOUSE_TOKEN (databricks, spark http/odbc)
                                            WAREHOUSE_KEYFILE (bigquery service-account)
                                            WAREHOUSE_PRIVATE_KEY_PASSPHRASE (snowflake key pair)

Every other setting comes from `compute.properties` and is copied as is, apart from the
DuckDB `path`, which floe.yaml gives relative to the dbt project folder (as in a hand-written
profiles.yml used from that folder) and which is written absolute here: dbt-duckdb hands
the path to `duckdb.connect()` unchanged, so a relative path would otherwise depend on the
directory dbt happens to be started from.

dbt is imported only by `adapter_problems`, and only for adapters that are installed.
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from floe_ci.artifacts import CompiledArtifacts
from floe_ci.errors import FloeUsageError, Problem
from floe_ci.fsutil import write_atomic
from floe_ci.integrations.dbt.project import read_project
from floe_ci.spec.models import ComputeTarget

# The dbt target every generated profile defines unless floe.yaml names one
# (`transforms[].target`).
PROFILE_TARGET = "floe"
PROFILES_SUBDIR = Path(".floe") / "profiles"

# Settings of DuckDB that are places, not database names.
_IN_MEMORY = ":memory:"
_ENV_REFERENCE = re.compile(r"\{\{\s*env_var\(\s*['\"]([^'\"]+)['\"][^}]*\)\s*\}\}")

# Keys each adapter needs before it can open a connection, as (alternatives, ...): one name of
# each tuple must be present. Taken from each adapter's Credentials class (dbt-<adapter>
# 1.10/1.11); used for adapters that are not installed here.
REQUIRED_KEYS: dict[ComputeTarget, tuple[tuple[str, ...], ...]] = {
    ComputeTarget.DUCKDB: (("path",),),
    ComputeTarget.POSTGRES: (
        ("host",),
        ("user",),
        ("password", "pass"),
        ("port",),
        ("dbname", "database"),
        ("schema",),
    ),
    ComputeTarget.REDSHIFT: (("host",), ("user",), ("port",), ("dbname", "database"), ("schema",)),
    ComputeTarget.SNOWFLAKE: (("account",), ("user",), ("database",), ("schema",)),
    ComputeTarget.BIGQUERY: (
        ("method",),
        ("project", "database"),
        ("dataset", "schema"),
    ),
    ComputeTarget.DATABRICKS: (("host",), ("http_path",), ("schema",)),
    ComputeTarget.SPARK: (("method",), ("host",), ("schema",)),
}

# Conventional defaults that the adapters themselves do not provide.
_DEFAULTS: dict[ComputeTarget, dict[str, Any]] = {
    ComputeTarget.POSTGRES: {"port": 5432},
    ComputeTarget.REDSHIFT: {"port": 5439},
    ComputeTarget.BIGQUERY: {"method": "service-account"},
    ComputeTarget.SPARK: {"method": "http"},
}


@dataclass(frozen=True)
class ProfileProblem:
    """Why the adapter could not load the generated profile."""

    adapter: str
    message: str
    key: str | None = None  # the floe.yaml `compute` key to fix, e.g. `properties.host`
    hint: str | None = None

    def describe(self) -> str:
        return f"dbt-{self.adapter} cannot load the generated profile: {self.message}"


def env_prefix(secret_ref: str) -> str:
    """`prod/warehouse-db` -> `PROD_WAREHOUSE_DB`: a valid environment variable stem."""
    stem = re.sub(r"[^A-Za-z0-9]+", "_", secret_ref).strip("_").upper()
    return stem if not stem[:1].isdigit() else f"_{stem}"


def env_var(name: str) -> str:
    return "{{ env_var('" + name + "') }}"


def credential_env_vars(artifacts: CompiledArtifacts) -> dict[str, str]:
    """Profile key -> environment variable name, for the credentials of the target."""
    ref = artifacts.compute.connection_secret_ref
    if ref is None:
        return {}
    prefix = env_prefix(ref)
    props = artifacts.compute.properties
    target = artifacts.compute.target
    names: dict[str, str] = {}
    if target in (ComputeTarget.POSTGRES, ComputeTarget.REDSHIFT):
        names = {"user": "USER", "password": "PASSWORD"}
        if str(props.get("method", "database")) == "iam":
            names = {"user": "USER"}
    elif target == ComputeTarget.SNOWFLAKE:
        names = {"user": "USER"}
        if "private_key_path" in props:
            names["private_key_passphrase"] = "PRIVATE_KEY_PASSPHRASE"
        elif "authenticator" not in props:
            names["password"] = "PASSWORD"
    elif target == ComputeTarget.BIGQUERY:
        method = str(props.get("method", _DEFAULTS[target]["method"]))
        if method == "service-account":
            names = {"keyfile": "KEYFILE"}
        elif method == "service-account-json":
            names = {"keyfile_json": "KEYFILE_JSON"}
    elif target == ComputeTarget.DATABRICKS:
        names = {"token": "TOKEN"}
    elif target == ComputeTarget.SPARK:
        method = str(props.get("method", _DEFAULTS[target]["method"]))
        names = {"user": "USER", "password": "PASSWORD"} if method == "thrift" else {}
        if method in ("http", "odbc"):
            names = {"token": "TOKEN"}
    elif target == ComputeTarget.DUCKDB and str(props.get("path", "")).startswith("md:"):
        names = {"motherduck_token": "MOTHERDUCK_TOKEN"}
    # Explicit settings in properties (e.g. an `{{ env_var() }}` of the user's) win.
    return {key: f"{prefix}_{suffix}" for key, suffix in names.items() if key not in props}


def profile_target(artifacts: CompiledArtifacts) -> str:
    """The dbt target name: `transforms[0].target` or PROFILE_TARGET."""
    for transform in artifacts.transforms:
        if transform.type == "dbt" and transform.target:
            return transform.target
    return PROFILE_TARGET


def dbt_project_dir(artifacts: CompiledArtifacts, project_root: Path) -> Path:
    """The dbt project folder; `project_root` is the folder holding floe.yaml."""
    relative = artifacts.dbt_project_path
    if relative is None:
        relative = next((t.path for t in artifacts.transforms if t.type == "dbt"), ".")
    return (project_root / relative).resolve()


def profile_name(artifacts: CompiledArtifacts, project_root: Path) -> str:
    """The `profile:` of dbt_project.yml (dbt's rule: the project name when absent)."""
    project_dir = dbt_project_dir(artifacts, project_root)
    return read_project(project_dir, str(project_dir / "dbt_project.yml")).profile


def profile_output(artifacts: CompiledArtifacts, project_root: Path | None) -> dict[str, Any]:
    """The one output (target) of the profile: type, settings, credential references."""
    target = artifacts.compute.target
    output: dict[str, Any] = {"type": target.value}
    output.update(_DEFAULTS.get(target, {}))
    output.update(artifacts.compute.properties)
    if target == ComputeTarget.DUCKDB:
        output["path"] = _duckdb_path(output.get("path"), artifacts, project_root)
    for key, name in credential_env_vars(artifacts).items():
        output[key] = env_var(name)
    return output


def generate_profiles(
    artifacts: CompiledArtifacts, project_root: Path | None = None
) -> dict[str, Any]:
    """profiles.yml content as a dict: `{profile: {target: ..., outputs: {target: {...}}}}`.

    `project_root` is the folder holding floe.yaml (default: the current directory); it
    locates dbt_project.yml for the profile name and anchors the DuckDB path.
    """
    root = project_root or Path.cwd()
    target = profile_target(artifacts)
    return {
        profile_name(artifacts, root): {
            "target": target,
            "outputs": {target: profile_output(artifacts, root)},
        }
    }


def profiles_dir_for(project_root: Path) -> Path:
    return project_root / PROFILES_SUBDIR


def write_profiles(
    artifacts: CompiledArtifacts, project_root: Path, *, validate: bool = True
) -> Path:
    """Write `<project_root>/.floe/profiles/profiles.yml` atomically; return the folder.

    Raises FloeUsageError naming the adapter when it cannot load the profile.
    """
    if validate:
        problems = profile_problems(artifacts, project_root)
        if problems:
            raise located_profile_error(problems, "floe.yaml")
    profiles = generate_profiles(artifacts, project_root)
    folder = profiles_dir_for(project_root)
    header = (
        "# Generated by floe-ci from floe.yaml (compute); edits are overwritten.\n"
        "# Credentials are env_var() references, never values.\n"
    )
    write_atomic(folder / "profiles.yml", header + yaml.safe_dump(profiles, sort_keys=True))
    return folder


def make_database_folder(artifacts: CompiledArtifacts, project_root: Path) -> None:
    """Before dbt connects: the folder of a DuckDB database file (`path: target/shop.duckdb`).
    dbt-duckdb does not make it, and a run into a target folder of its own (`floe run`)
    never creates `target/`. Inside the project, never through a link out of it."""
    if artifacts.compute.target != ComputeTarget.DUCKDB:
        return
    path = profile_output(artifacts, project_root).get("path")
    if not isinstance(path, str) or not Path(path).is_absolute():  # :memory:, md:, s3://
        return
    from floe_ci.confinement import confine

    folder = Path(path).parent
    confine(folder, project_root.resolve(), "the DuckDB database", _LINK_FIX)
    folder.mkdir(parents=True, exist_ok=True)


_LINK_FIX = (
    "delete the link (`rm {link}`), or set `compute.properties.path` in floe.yaml to a file "
    "inside the project"
)


def located_profile_error(
    problems: list[ProfileProblem],
    display: str,
    position_of: Callable[[tuple[str | int, ...]], Any] | None = None,
) -> FloeUsageError:
    """One located problem per ProfileProblem, pointing at the `compute` key to fix.

    `position_of` is LocatedDocument.position_of of floe.yaml (when known).
    """
    located = []
    for problem in problems:
        keys = problem.key.split(".") if problem.key else []
        path: tuple[str | int, ...] = ("compute", *keys)
        pos = position_of(path) if position_of else None
        located.append(
            Problem(
                display,
                problem.describe(),
                pos.line if pos else None,
                pos.column if pos else None,
                problem.hint,
            )
        )
    return FloeUsageError(located)


def profile_problems(artifacts: CompiledArtifacts, project_root: Path) -> list[ProfileProblem]:
    """What stops the matching dbt adapter from loading the generated profile (empty: fine)."""
    target = artifacts.compute.target
    output = profile_output(artifacts, project_root)
    problems = _missing_credentials(artifacts) + _threads_problems(target, output)
    if problems:
        return problems
    if adapter_installed(target):
        return adapter_problems(target, output)
    return required_key_problems(target, output)


def _threads_problems(target: ComputeTarget, output: Mapping[str, Any]) -> list[ProfileProblem]:
    # dbt checks `threads` itself (not the adapter): a positive whole number.
    threads = output.get("threads", 1)
    if isinstance(threads, int) and not isinstance(threads, bool) and threads >= 1:
        return []
    return [
        ProfileProblem(
            target.value,
            f"`threads` must be a whole number of at least 1, got {threads!r}",
            "properties.threads",
            hint="set `threads: 4` (how many models dbt builds at once)",
        )
    ]


def adapter_installed(target: ComputeTarget) -> bool:
    return importlib.util.find_spec(f"dbt.adapters.{target.value}") is not None


def required_key_problems(target: ComputeTarget, output: Mapping[str, Any]) -> list[ProfileProblem]:
    """Check the output against REQUIRED_KEYS (for adapters that are not installed)."""
    problems = []
    for alternatives in REQUIRED_KEYS[target]:
        session = target == ComputeTarget.SPARK and output.get("method") == "session"
        if session and alternatives == ("host",):
            continue  # an in-process Spark session connects to no host
        if not any(output.get(name) not in (None, "") for name in alternatives):
            problems.append(_missing_key(target, alternatives[0]))
    problems.extend(_method_problems(target, output))
    return problems


def _method_problems(target: ComputeTarget, output: Mapping[str, Any]) -> list[ProfileProblem]:
    """Keys that depend on the chosen authentication or connection method."""
    method = str(output.get("method", ""))
    needs: list[str] = []
    if target == ComputeTarget.BIGQUERY and method == "service-account":
        needs = ["keyfile"]
    elif target == ComputeTarget.BIGQUERY and method == "service-account-json":
        needs = ["keyfile_json"]
    elif target == ComputeTarget.SPARK and method in ("thrift", "http"):
        needs = ["port"] if method == "thrift" else ["token"]
        if method == "http" and not (output.get("cluster") or output.get("endpoint")):
            needs.append("cluster")
    elif target == ComputeTarget.DATABRICKS and output.get("auth_type") != "oauth":
        needs = ["token"]
    elif target == ComputeTarget.REDSHIFT and method in ("", "database"):
        needs = ["password"]
    elif target == ComputeTarget.SNOWFLAKE and not any(
        output.get(k) for k in ("password", "authenticator", "private_key", "private_key_path")
    ):
        needs = ["password"]
    return [_missing_key(target, key) for key in needs if output.get(key) in (None, "")]


def adapter_problems(target: ComputeTarget, output: Mapping[str, Any]) -> list[ProfileProblem]:
    """Load the output with the installed adapter's Credentials class, as dbt does."""
    from dbt.adapters.factory import load_plugin  # heavy: only when validating a profile

    data = _with_placeholders(dict(output))
    data.pop("type", None)
    data.pop("threads", None)
    credentials_class = load_plugin(target.value)
    try:
        translated = credentials_class.translate_aliases(data)
        credentials_class.validate(translated)
        credentials_class.from_dict(translated)
    except Exception as exc:  # dbt raises jsonschema and its own errors; all mean "cannot load"
        return [_adapter_error(target, exc)]
    return []


def _adapter_error(target: ComputeTarget, exc: Exception) -> ProfileProblem:
    text = str(getattr(exc, "message", None) or exc).strip().splitlines()[0]
    match = re.match(r"'([^']+)' is a required property", text)
    if match:
        return _missing_key(target, match.group(1))
    where = [str(part) for part in getattr(exc, "path", None) or []]
    if where:
        text = f"`{'.'.join(where)}`: {text}"
    return ProfileProblem(
        target.value,
        text,
        "properties" + (f".{where[0]}" if where else ""),
        hint=f"check `compute.properties` against the dbt-{target.value} profile documentation",
    )


def _missing_key(target: ComputeTarget, key: str) -> ProfileProblem:
    if key in {"user", "password", "token", "keyfile", "keyfile_json", "private_key_passphrase"}:
        return ProfileProblem(
            target.value,
            f"`{key}` is missing",
            "connection_secret_ref",
            hint="set `compute.connection_secret_ref` (e.g. WAREHOUSE); floe-ci then reads "
            f"the {key} from the environment variable WAREHOUSE_{key.upper()}",
        )
    return ProfileProblem(
        target.value,
        f"`{key}` is required",
        f"properties.{key}",
        hint=f"add `{key}:` under `compute.properties` in floe.yaml",
    )


def _missing_credentials(artifacts: CompiledArtifacts) -> list[ProfileProblem]:
    target = artifacts.compute.target
    if target == ComputeTarget.DUCKDB or artifacts.compute.connection_secret_ref is not None:
        return []
    props = artifacts.compute.properties
    if target == ComputeTarget.BIGQUERY and props.get("method") in ("oauth", "oauth-secrets"):
        return []
    if target == ComputeTarget.DATABRICKS and props.get("auth_type") == "oauth":
        return []
    if target in (ComputeTarget.SPARK,) and props.get("method") == "session":
        return []
    if any(_ENV_REFERENCE.search(str(props.get(k, ""))) for k in ("password", "token", "keyfile")):
        return []
    return [
        ProfileProblem(
            target.value,
            "no credentials: `compute.connection_secret_ref` is not set",
            "connection_secret_ref",
            hint="name the secret, e.g. `connection_secret_ref: WAREHOUSE`; the profile then "
            "reads WAREHOUSE_USER / WAREHOUSE_PASSWORD (or _TOKEN, _KEYFILE) from the "
            "environment",
        )
    ]


def _duckdb_path(value: Any, artifacts: CompiledArtifacts, project_root: Path | None) -> str:
    path = str(value or _IN_MEMORY)
    if path == _IN_MEMORY or "://" in path or ":" in path.split("/")[0] or project_root is None:
        return path  # in-memory, md:, s3://... or no anchor known
    candidate = Path(path).expanduser()
    if candidate.is_absolute():
        return str(candidate)
    return str(dbt_project_dir(artifacts, project_root) / candidate)


def _with_placeholders(data: dict[str, Any]) -> dict[str, Any]:
    """Replace env_var() references by placeholders: validation needs no secret values."""
    return {
        key: _ENV_REFERENCE.sub("floe-placeholder", value) if isinstance(value, str) else value
        for key, value in data.items()
    }


_ENV_CALL = re.compile(
    r"\{\{\s*env_var\(\s*['\"](?P<name>[^'\"]+)['\"]\s*(?:,\s*['\"](?P<default>[^'\"]*)['\"]\s*)?\)"
    r"\s*\}\}"
)


def resolve_env_references(output: Mapping[str, Any]) -> dict[str, Any]:
    """The output with every `{{ env_var('NAME') }}` replaced by the variable's value.

    For floe's own connections (run-time governance). Raises FloeUsageError naming the
    missing variable; values are never part of a message.
    """

    def resolve(match: re.Match[str]) -> str:
        name, default = match.group("name"), match.group("default")
        value = os.environ.get(name, default)
        if value is None:
            raise FloeUsageError.single(
                "floe.yaml",
                f"environment variable {name} is not set (named by the generated dbt profile)",
                hint=f"export {name}; its name comes from `compute.connection_secret_ref`",
            )
        return value

    return {
        key: _ENV_CALL.sub(resolve, value) if isinstance(value, str) else value
        for key, value in output.items()
    }
