"""A CheckResult kept on disk for inputs that cannot change: a pull request's base commit.

The base of a review is a git commit checked out under `.floe/cache/base/<sha>/`; its
findings are the same on every run until the base moves, so the review evaluates them once
and reads them back afterwards. The key covers everything the result is computed from:
the commit, the check options, floe.yaml's bytes, the manifest file (its size and dbt's
invocation id: a new `dbt parse` writes a new one), and the source of floe-ci's rule and
lineage code (a new floe-ci, or an edited rule, never reads an older result). Anything
unreadable is a miss.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import floe_ci
from floe_ci.governance.result import CheckResult

if TYPE_CHECKING:
    from floe_ci.governance.evaluate import CheckOptions

RESULT_FILE = "check-result.json"
# What a result is computed by: the rules, the facts they read, and the lineage behind them.
_CODE = (
    "governance",
    "lineage",
    "spec",
    "integrations/dbt",
    "app/check.py",
    "app/findings_memo.py",  # the format of the findings it keeps
)


@cache
def code_fingerprint() -> str:
    """Digest of floe-ci's version and of the source that computes a CheckResult."""
    from floe_ci.fsutil import source_digest

    root = Path(floe_ci.__file__).parent
    paths: list[Path] = []
    for part in _CODE:
        paths += [root / part] if part.endswith(".py") else sorted((root / part).rglob("*.py"))
    return source_digest(paths)


@dataclass(frozen=True)
class ResultCache:
    """The stored result of one check, valid while its key matches."""

    folder: Path
    key: str

    @classmethod
    def for_commit(
        cls, folder: Path, commit: str, options: CheckOptions, config: Path, manifest: Path
    ) -> ResultCache:
        """The cache of the check of `commit` (the options' repr is part of the key)."""
        digest = hashlib.sha256()
        for part in (commit, repr(options), code_fingerprint()):
            digest.update(part.encode() + b"\0")
        try:
            digest.update(config.read_bytes() + b"\0")
        except OSError:
            digest.update(b"missing\0")
        digest.update(_manifest_identity(manifest).encode() + b"\0")
        return cls(folder, digest.hexdigest())

    def load(self) -> CheckResult | None:
        try:
            text = (self.folder / RESULT_FILE).read_text(encoding="utf-8")
            key, _, body = text.partition("\n")
            if key != self.key:
                return None
            return CheckResult.model_validate_json(body)
        except (OSError, ValueError, UnicodeDecodeError):  # pydantic errors are ValueErrors
            return None

    def save(self, result: CheckResult) -> None:
        from floe_ci.fsutil import write_cache

        body = result.model_dump_json(exclude={"summary", "passed"})  # computed on load
        write_cache(self.folder / RESULT_FILE, self.key + "\n" + body)


def _manifest_identity(manifest: Path) -> str:
    """The manifest's size and dbt's invocation id (a CI cache may restore it with a new
    modification time); its size and time when it has no id (not written by dbt)."""
    from floe_ci.integrations.dbt.input_digest import manifest_identity

    identity = manifest_identity(manifest)
    if identity is not None:
        return identity
    try:
        stat = manifest.stat()
    except OSError:
        return "missing"
    return f"{stat.st_size}:{stat.st_mtime_ns}"
