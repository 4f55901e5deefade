"""dbt's JSON artifacts written with Python's C encoder: the same bytes, several times faster.

dbt writes manifest.json with `json.dump(data, file, cls=JSONEncoder)`; `json.dump` always
takes the pure-Python encoder (only `json.dumps` without `indent` uses the C one). At 5,000
models that is the largest single cost of a partial parse (cProfile of a warm `check
--base`: 29 s of 135 under load). `json.dumps` with the same encoder class and options gives
the identical text (tests/integration/test_fast_artifacts.py compares them on a real
manifest), written through dbt's own `write_file`, which keeps dbt's error handling.

Installed once in this process, right after dbt is imported (integrations/dbt/runner.py).
"""

from __future__ import annotations

import json
import sys
from typing import Any

# Modules that bound `write_json` by name when imported (dbt-core 1.11).
_BOUND_IN = (
    "dbt_common.clients.system",
    "dbt.artifacts.schemas.base",
    "dbt.artifacts.schemas.run.v5.run",
)


def write_json_fast(path: str, data: dict[str, Any]) -> bool:
    """dbt_common's `write_json`, encoded by `json.dumps` (the C encoder)."""
    from dbt_common.clients.system import write_file
    from dbt_common.utils.encoding import JSONEncoder

    return bool(write_file(path, json.dumps(data, cls=JSONEncoder)))


def install() -> None:
    """Point every already imported binding of dbt's `write_json` at `write_json_fast`."""
    import dbt.artifacts.schemas.base  # noqa: F401  (the manifest's writer binds it)

    for name in _BOUND_IN:
        module = sys.modules.get(name)
        if module is not None and hasattr(module, "write_json"):
            module.write_json = write_json_fast  # type: ignore[attr-defined]
