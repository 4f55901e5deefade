"""Find helm: $HELM_BIN, then PATH, then `<repo>/.tools/helm/helm` (.ci/tools/helm.sh)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path

from floe_ci.errors import FloeUsageError

HELM_BIN_ENV = "HELM_BIN"
REPO_HELM = Path(__file__).resolve().parents[3] / ".tools" / "helm" / "helm"


def find_helm(environ: Mapping[str, str] | None = None) -> Path | None:
    env = os.environ if environ is None else environ
    explicit = env.get(HELM_BIN_ENV)
    if explicit:
        path = Path(explicit)
        return path if path.is_file() and os.access(path, os.X_OK) else None
    found = shutil.which("helm", path=env.get("PATH"))
    if found:
        return Path(found)
    if REPO_HELM.is_file() and os.access(REPO_HELM, os.X_OK):
        return REPO_HELM
    return None


def require_helm(environ: Mapping[str, str] | None = None) -> Path:
    """The helm binary, or a usage error (exit 2) that says how to get one."""
    env = os.environ if environ is None else environ
    helm = find_helm(env)
    if helm is not None:
        return helm
    explicit = env.get(HELM_BIN_ENV)
    where = (
        f"{HELM_BIN_ENV}={explicit} is not an executable file"
        if explicit
        else (f"no `helm` on PATH, no {HELM_BIN_ENV}, and no {REPO_HELM}")
    )
    raise FloeUsageError.single(
        "helm",
        f"the helm binary was not found: {where}",
        hint="install Helm 3.8+ (https://helm.sh/docs/intro/install/), set HELM_BIN to it, "
        "or run `bash .ci/tools/helm.sh` in a floe-ci checkout",
    )
