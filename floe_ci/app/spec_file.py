"""Read floe.yaml from disk and parse it (spec.loader does the parsing, without I/O)."""

from __future__ import annotations

from pathlib import Path

from floe_ci.errors import FloeUsageError
from floe_ci.fsutil import read_bytes
from floe_ci.integrations.github.masking import referenced_env_names
from floe_ci.redaction import register_secret_names
from floe_ci.spec.loader import LoadedSpec, parse_spec


def load_spec(path: Path, display: str | None = None) -> LoadedSpec:
    """Read, parse and validate floe.yaml. Raises FloeUsageError with located problems."""
    shown = display or str(path)
    if path.is_symlink() and path.resolve().parent != path.absolute().parent.resolve():
        # floe-ci writes `.floe/` beside the file it reads: that would be outside this folder.
        raise FloeUsageError.single(
            shown,
            f"is a symbolic link to {path.resolve()}, outside its folder",
            hint="run floe-ci on the real file (`-c PATH`), or copy it here",
        )
    loaded = parse_spec(read_bytes(path, shown), path, shown)
    # The variables it names as secrets are redacted from every output from now on.
    register_secret_names(referenced_env_names(loaded.spec.model_dump(mode="json")))
    return loaded
