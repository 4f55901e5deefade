"""Pydantic's plugin discovery switched off for a check (`floe-ci check` and the action's).

floe-ci's models use no pydantic plugin, yet the first model built reads every installed
package's metadata looking for one (~0.03 s beside dbt and Dagster).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

_PLUGINS = "PYDANTIC_DISABLE_PLUGINS"


@contextmanager
def pydantic_plugins_off() -> Iterator[None]:
    """PYDANTIC_DISABLE_PLUGINS=__all__ meanwhile, unset again afterwards: commands that run
    the user's Dagster code (`floe run`, `dev`) never set it; a value the user set is left
    alone."""
    if _PLUGINS in os.environ:
        yield
        return
    os.environ[_PLUGINS] = "__all__"
    try:
        yield
    finally:
        os.environ.pop(_PLUGINS, None)
