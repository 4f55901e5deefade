"""A cache file rewritten whole now and then, and grown by small delta files in between.

A warm check changes a few entries of caches that hold one per relation (the lineage, the
findings): rewriting a 37 MB file for one changed model cost ~0.5 s at 50,000 models. So a
run that changed little writes only what it changed, as the next delta file beside the base;
readers apply the deltas in order. When the deltas grow past a quarter of the base (or
`MAX_DELTAS` of them), the merged content is written as a new base and the deltas removed.

Each file is written atomically (fsutil.write_cache). A base starts with a line naming its
token, and a delta's file name carries the token of the base it applies to: a delta left by
an interrupted rewrite never applies to another base. The chain of deltas stops at the first
gap; the caller's decoder stops at the first delta it cannot read. Every cache entry is
keyed by its inputs, so a lost delta costs recomputing what it held, never a wrong answer.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from floe_ci.fsutil import write_cache

MAX_DELTAS = 16
_MAGIC = b"floe-cache-base "


@dataclass
class Segments:
    """What `DeltaFile.read` found: the base's body (None when there is none) and the
    bodies of its deltas, oldest first."""

    base: bytes | None
    deltas: list[bytes] = field(default_factory=list)
    token: str = ""
    broken: bool = False  # a delta could not be applied: the next save writes a base

    @property
    def delta_bytes(self) -> int:
        return sum(len(delta) for delta in self.deltas)


class DeltaFile:
    """The base file `path` and its deltas (`<name>.<token>.<n>` in the same folder)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._read = Segments(None)

    def read(self) -> Segments:
        """The base and its deltas; an unreadable or headerless base reads as none."""
        try:
            raw = self.path.read_bytes()
        except OSError:
            self._read = Segments(None)
            return self._read
        header, _, body = raw.partition(b"\n")
        if not header.startswith(_MAGIC):
            self._read = Segments(None)
            return self._read
        token = header[len(_MAGIC) :].decode("ascii", "replace")
        segments = Segments(body, [], token)
        for number in range(1, MAX_DELTAS + 1):
            try:
                segments.deltas.append(self._delta_path(token, number).read_bytes())
            except OSError:
                break
        self._read = segments
        return segments

    def broken(self) -> None:
        """The caller could not apply one of the deltas `read` found (nor those after it):
        the next save writes a base, else its delta would follow one never applied."""
        self._read.broken = True

    def wants_delta(self, delta_size: int) -> bool:
        """Whether a delta of `delta_size` bytes may be added to what `read` found."""
        found = self._read
        if found.base is None or found.broken or len(found.deltas) >= MAX_DELTAS:
            return False
        return 4 * (found.delta_bytes + delta_size) <= len(found.base)

    def write_delta(self, body: bytes | str) -> None:
        """`body` as the next delta of the base `read` found (wants_delta said yes)."""
        found = self._read
        assert found.base is not None, "a delta needs a base"
        path = self._delta_path(found.token, len(found.deltas) + 1)
        write_cache(path, body)
        found.deltas.append(body.encode() if isinstance(body, str) else body)

    def write_base(self, body: bytes | str) -> None:
        """`body` as a new base; the deltas of any base are removed after it is in place."""
        data = body.encode() if isinstance(body, str) else body
        token = os.urandom(8).hex()  # os's, not `secrets`: that import costs a check ~5 ms
        write_cache(self.path, _MAGIC + token.encode() + b"\n" + data)
        prefix = f"{self.path.name}."
        try:
            names = os.listdir(self.path.parent)
        except OSError:
            names = []
        for name in names:
            if name.startswith(prefix):
                (self.path.parent / name).unlink(missing_ok=True)
        self._read = Segments(data, [], token)

    def _delta_path(self, token: str, number: int) -> Path:
        return self.path.with_name(f"{self.path.name}.{token}.{number}")
