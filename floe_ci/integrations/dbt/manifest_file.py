"""Read manifest.json into the dict the typed view (`floe_ci.dbt_manifest`) reads, checked.

A manifest may come from anywhere: `--manifest FILE`, a committed `target/`, a cache. Every
way it can be wrong is a located usage error (exit 2) naming the file and the first bad
field, never a traceback: not JSON, nested too deeply for any parser, a field of the wrong
type, or a schema version that the supported dbt versions do not write.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from floe_ci.dbt_manifest import SUPPORTED_DBT, ManifestShapeError, check_manifest
from floe_ci.errors import FloeUsageError

_HINT = "delete it and run again; floe-ci re-creates it with `dbt parse`"


def read_manifest(path: Path) -> dict[str, Any]:
    from floe_ci import fastjson

    shown = str(path)
    try:
        data = fastjson.loads(path.read_bytes())
    except IsADirectoryError:
        raise FloeUsageError.single(shown, "is a folder, expected dbt's manifest.json") from None
    except RecursionError:
        raise FloeUsageError.single(
            shown, "cannot read dbt manifest: its JSON is nested too deeply", hint=_HINT
        ) from None
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)[:200]
        raise FloeUsageError.single(
            shown, f"cannot read dbt manifest: {reason}", hint=_HINT
        ) from None
    try:
        check_manifest(data)
    except ManifestShapeError as exc:
        raise FloeUsageError.single(
            shown,
            f"not a dbt manifest floe-ci can read: {exc}",
            hint=f"re-create it with `dbt parse` ({SUPPORTED_DBT}); {_HINT}",
        ) from None
    assert isinstance(data, dict)
    return data
