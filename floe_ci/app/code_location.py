"""Find the pipeline a Dagster process should serve, from its environment (seed section 4.4).

FLOE_ARTIFACTS_PATH names the compiled artifacts (default `.floe/artifacts.json`); when the
file does not exist, floe.yaml is compiled instead. The project root (the folder holding
floe.yaml, against which the artifacts' paths are relative) is FLOE_PROJECT_ROOT, else the
folder above `.floe/` when the artifacts live there, else the current directory.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import ValidationError

from floe_ci.artifacts import CompiledArtifacts
from floe_ci.errors import FloeUsageError

ARTIFACTS_ENV = "FLOE_ARTIFACTS_PATH"
PROJECT_ROOT_ENV = "FLOE_PROJECT_ROOT"
DEFAULT_ARTIFACTS = Path(".floe") / "artifacts.json"


def project_root_for(artifacts_path: Path, environ: Mapping[str, str]) -> Path:
    explicit = environ.get(PROJECT_ROOT_ENV)
    if explicit:
        return Path(explicit).resolve()
    folder = artifacts_path.resolve().parent
    if folder.name == ".floe":
        return folder.parent
    return Path.cwd().resolve()


def load_artifacts(
    environ: Mapping[str, str] | None = None,
) -> tuple[CompiledArtifacts, Path]:
    """(artifacts, project root) for this process."""
    env = os.environ if environ is None else environ
    artifacts_path = Path(env.get(ARTIFACTS_ENV) or DEFAULT_ARTIFACTS)
    root = project_root_for(artifacts_path, env)
    if artifacts_path.is_file():
        try:
            return CompiledArtifacts.model_validate_json(artifacts_path.read_bytes()), root
        except ValidationError as exc:
            raise FloeUsageError.single(
                str(artifacts_path),
                f"not valid compiled artifacts: {exc.error_count()} problem(s), first: "
                f"{exc.errors()[0]['msg']}",
                hint="re-create the file with `floe compile`",
            ) from None
    from floe_ci.app.compile import compile_pipeline

    config = root / "floe.yaml"
    if not config.is_file():
        raise FloeUsageError.single(
            str(artifacts_path),
            f"no compiled artifacts here and no floe.yaml in {root} to compile",
            hint=f"run `floe compile`, or set {ARTIFACTS_ENV} to the artifacts file",
        )
    return compile_pipeline(config, display=str(config)), root
