"""A cache file rewritten whole now and then, and grown by small delta files in between.

A warm check changes a few entries of caches that hold one per relation (the lineage, the
findings): rewriting a 37 MB file for one changed model cost ~0.5 s at 50,000 models. So a
run that changed little writes only what it changed, as the next delta file beside the base;
readers apply the deltas in order. When the deltas grow past a quarter of the base (or
`MAX_DELTAS` of them), the merged content is written as a new base and the deltas removed.

Each file is written atomically (fsutil.write_cache). A base starts with a line naming its
token; delta n is named `<base name>.<token>.<n>` and starts with a line naming the digest of
what it was made on top of (the base's token for the first, the previous delta's content for
the others). So a delta applies only to the exact chain it was made from: not to another
base (a rewrite interrupted before its old deltas were removed), nor after a delta that
another writer replaced meanwhile, nor across a gap. A chain that stops before the last delta
file on disk is broken: the next save writes a base. The caller's decoder also stops at the
first delta it cannot read (`broken`). Anything unreadable costs recomputing what it held.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from floe_ci.fsutil import write_cache

MAX_DELTAS = 16
_BASE = b"floe-cache-base "
_DELTA = b"floe-cache-delta "
_TOKEN = re.compile(r"[0-9a-f]{16}")


@dataclass
class Segments:
    """What `DeltaFile.read` found: the base's body (None when there is none) and the
    bodies of its deltas, oldest first."""

    base: bytes | None
    deltas: list[bytes] = field(default_factory=list)
    token: str = ""
    tip: str = ""  # what the next delta is made on top of: the token, or the last delta's digest
    broken: bool = False  # the next save writes a base
    delta_bytes: int = 0


class DeltaFile:
    """The base file `path` and its deltas (`<name>.<token>.<n>` in the same folder)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._read = Segments(None)

    def read(self) -> Segments:
        """The base and the chain of deltas made on it; an unreadable base, or one without
        floe-ci's header, reads as none."""
        self._read = Segments(None)
        try:
            raw = self.path.read_bytes()
        except OSError:
            return self._read
        header, _, body = raw.partition(b"\n")
        token = header[len(_BASE) :].decode("ascii", "replace")
        if not header.startswith(_BASE) or not _TOKEN.fullmatch(token):
            return self._read
        segments = Segments(body, [], token, token)
        for number in range(1, MAX_DELTAS + 1):
            try:
                raw = self._delta_path(token, number).read_bytes()
            except OSError:
                break
            header, _, delta = raw.partition(b"\n")
            if header != _DELTA + segments.tip.encode():
                break  # made on another chain (replaced meanwhile): not applied
            segments.deltas.append(delta)
            segments.delta_bytes += len(delta)
            segments.tip = _digest(raw)
        # a delta file past the end of the chain: the next delta would be mistaken for it
        segments.broken = self._delta_path(token, len(segments.deltas) + 1).exists()
        self._read = segments
        return segments

    def broken(self) -> None:
        """The caller could not apply one of the deltas `read` found (nor those after it),
        or its base: the next save writes a base."""
        self._read.broken = True

    def wants_delta(self, delta_size: int) -> bool:
        """Whether a delta of `delta_size` bytes may be added to what `read` found."""
        found = self._read
        if found.base is None or found.broken or len(found.deltas) >= MAX_DELTAS:
            return False
        return 4 * (found.delta_bytes + delta_size) <= len(found.base)

    def write_delta(self, body: bytes | str) -> None:
        """`body` as the next delta of the chain `read` found (wants_delta said yes)."""
        found = self._read
        assert found.base is not None, "a delta needs a base"
        data = body.encode() if isinstance(body, str) else body
        raw = _DELTA + found.tip.encode() + b"\n" + data
        write_cache(self._delta_path(found.token, len(found.deltas) + 1), raw)
        found.deltas.append(data)
        found.delta_bytes += len(data)
        found.tip = _digest(raw)

    def write_base(self, body: bytes | str) -> None:
        """`body` as a new base; the deltas of any base are removed after it is in place."""
        data = body.encode() if isinstance(body, str) else body
        token = os.urandom(8).hex()  # os's, not `secrets`: that import costs a check ~5 ms
        write_cache(self.path, _BASE + token.encode() + b"\n" + data)
        prefix = f"{self.path.name}."
        try:
            names = os.listdir(self.path.parent)
        except OSError:
            names = []
        for name in names:
            if name.startswith(prefix):
                # a delta of another token is never applied: harmless if it stays
                with contextlib.suppress(OSError):
                    (self.path.parent / name).unlink(missing_ok=True)
        self._read = Segments(data, [], token, token)

    def _delta_path(self, token: str, number: int) -> Path:
        return self.path.with_name(f"{self.path.name}.{token}.{number}")


def _digest(raw: bytes) -> str:
    return hashlib.blake2b(raw, digest_size=16).hexdigest()
