"""Read floe.yaml from disk and parse it (spec.loader does the parsing, without I/O)."""

from __future__ import annotations

from pathlib import Path

from floe_ci.fsutil import read_bytes
from floe_ci.spec.loader import LoadedSpec, parse_spec


def load_spec(path: Path, display: str | None = None) -> LoadedSpec:
    """Read, parse and validate floe.yaml. Raises FloeUsageError with located problems."""
    shown = display or str(path)
    return parse_spec(read_bytes(path, shown), path, shown)
