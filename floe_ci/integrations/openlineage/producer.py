"""The `producer` URI of every OpenLineage event floe-ci emits.

Apart from facets.py so that what only names the producer (the Cube query hook's settings)
does not need the openlineage-python client, an extra the slim image leaves out."""

from __future__ import annotations

from floe_ci import __version__

PRODUCER = f"https://github.com/floe/action/tree/v{__version__}"
