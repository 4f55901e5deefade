"""The optional parts of floe-ci (`pip install 'floe-ci[EXTRA]'`) and a clear error without them.

The slim core (`pip install floe-ci`) checks, reviews, comments and deploys; the Dagster
runtime, OpenTelemetry, Cube sync, Iceberg and the Postgres adapter are extras, so that a
missing one is a usage error naming the extra to install, never an ImportError traceback.
"""

from __future__ import annotations

import importlib.util

from floe_ci.errors import FloeUsageError


def require_extra(module: str, extra: str, feature: str) -> None:
    """Raise a FloeUsageError naming `floe-ci[extra]` unless `module` can be imported."""
    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package missing, or a broken install
        found = False
    if not found:
        raise FloeUsageError.single(
            "<installation>",
            f"{feature} needs `{module}`, which this installation of floe-ci lacks",
            hint=f"pip install 'floe-ci[{extra}]' (or 'floe-ci[all]')",
        )
