"""A warm check's SQL analysis in a helper process, which imports sqlglot on the other core.

A warm check analyses only the models a change reached, often one, and importing sqlglot
for it cost ~0.15 s of a 1.5 s check at 5,000 models. The helper is started with the check,
imports sqlglot while the check reads the manifest and its caches, and analyses the first
`SHARE` statements; after that (or when it is gone) the check analyses here as before.

Each request carries the statement, the dialect, the columns of the relations it most
likely reads (its model's parents) and the stack depth it may use, a little less than the
check has left: a statement too deep for it is analysed in the check, which decides. The
reply is the result, with the relations the analysis asked about that the request did not
hold: when the check knows columns for one of them, it asks again with those. So the result
is the one `analyse_sql` gives here. A helper that dies, fails or answers anything but the
protocol is stopped, and the check analyses the statement itself.

The helper is this interpreter with the check's sys.path, running `main()`: requests on
its standard input, replies on its standard output.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import struct
import subprocess
import sys
from collections.abc import Sequence
from typing import IO, Any

from floe_ci.lineage.column_refs import RelationColumns, RelationKey, SqlColumns

SHARE = 50  # statements past these are analysed in the check: sqlglot is worth importing there
_LENGTH = struct.Struct("<Q")
_MAX_REPLY = 256 * 2**20  # a reply is one statement's columns: more is not the protocol
_GREETING = b"floe-ci sql worker 1\n"  # after it, nothing but replies on the channel
_MAIN = "from floe_ci.app.sql_worker import main; main()"
_ASKS = 4  # rounds of "these relations too" before the statement is analysed here
# Frames the helper keeps short of what the check has left: its analysis must never get
# deeper than the check's would (a C call also counts), so a statement it fails to analyse
# for depth is analysed in the check, which decides.
_MARGIN = 50


class Worker:
    """The helper process, as a builder.Analyser: None once it cannot answer."""

    def __init__(self) -> None:
        # this interpreter and this sys.path: the same floe_ci and sqlglot as here, never a
        # module of the same name in the folder the check runs in
        start = f"import sys; sys.path[:] = {sys.path!r}; {_MAIN}"
        self._process: subprocess.Popen[bytes] | None = subprocess.Popen(
            [sys.executable, "-c", start],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # its only output is its replies
        )
        self._greeted = False
        self.answered = 0

    def __call__(
        self,
        sql: str,
        dialect: str,
        relation_columns: RelationColumns,
        likely: Sequence[RelationKey],
    ) -> SqlColumns | None:
        headroom = sys.getrecursionlimit() - _depth() - _MARGIN
        if self._process is None or self.answered >= SHARE or headroom < _MARGIN:
            return None
        known = {key: relation_columns(key) for key in likely}
        for _round in range(_ASKS):
            reply = self._ask((sql, dialect, known, headroom))
            if reply is None or reply[0] != "done":
                # gone, failed, or too deep for its shorter stack: the check decides
                return None
            result: SqlColumns = reply[1]
            asked: set[RelationKey] = reply[2]
            more = {key: relation_columns(key) for key in asked}
            if all(columns is None for columns in more.values()):
                self.answered += 1
                return result  # what it did not hold, the check does not know either
            known.update(more)
        return None

    def close(self) -> None:
        """Stop the helper. It holds nothing worth a clean exit, and waiting for its
        interpreter to shut down cost the check ~0.06 s: it is killed."""
        process, self._process = self._process, None
        if process is None:
            return
        process.kill()
        process.wait()
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):  # a request it never read: a broken pipe
                    stream.close()

    def _ask(self, request: tuple[Any, ...]) -> tuple[Any, ...] | None:
        """Its reply to `request`, checked; None (and the helper stopped) on anything else."""
        process = self._process
        assert process is not None and process.stdin is not None and process.stdout is not None
        try:
            _send(process.stdin, request)
            if not self._greeted:
                # what a start-up hook printed would be read as a reply: nothing may precede
                if process.stdout.read(len(_GREETING)) != _GREETING:
                    raise EOFError("not the helper's greeting")
                self._greeted = True
            reply = _receive(process.stdout)
        except Exception:  # it died or broke the protocol: the check carries on without it
            self.close()
            return None
        except BaseException:  # an interrupt: the helper goes with the check
            self.close()
            raise
        if _well_formed(reply):
            return tuple(reply)
        self.close()
        return None


def _well_formed(reply: Any) -> bool:
    if not isinstance(reply, tuple) or not reply:
        return False
    if reply[0] == "done":
        return len(reply) == 3 and isinstance(reply[1], SqlColumns) and isinstance(reply[2], set)
    return reply[0] in ("recursion", "failed")


def _depth() -> int:
    frame, depth = sys._getframe(1), 1
    while frame.f_back is not None:
        frame, depth = frame.f_back, depth + 1
    return depth


def _send(stream: IO[bytes], message: Any) -> None:
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_LENGTH.pack(len(payload)) + payload)
    stream.flush()


def _receive(stream: IO[bytes]) -> Any:
    header = stream.read(_LENGTH.size)
    if len(header) < _LENGTH.size:
        raise EOFError("the helper closed its output")
    (size,) = _LENGTH.unpack(header)
    if size > _MAX_REPLY:
        raise EOFError("not a message of the protocol")
    payload = stream.read(size)
    if len(payload) < size:
        raise EOFError("the helper closed its output")
    return pickle.loads(payload)  # our own child's (or parent's) messages only


class _Lookup:
    """The relation columns a request holds; records the relations it did not hold."""

    def __init__(self, known: dict[RelationKey, Any]) -> None:
        self.known = known
        self.asked: set[RelationKey] = set()

    def __call__(self, key: RelationKey) -> Any:
        if key not in self.known:
            self.asked.add(key)
            return None
        return self.known[key]


def serve(requests: IO[bytes], replies: IO[bytes]) -> None:
    """Answer requests until the input ends (the helper's main loop)."""
    from floe_ci.lineage.sql_columns import analyse_sql, known_dialect

    replies.write(_GREETING)
    replies.flush()
    dialects: dict[str, str] = {}
    while True:
        try:
            sql, dialect, known, headroom = _receive(requests)
        except EOFError:
            return
        lookup = _Lookup(known)
        if dialect not in dialects:
            dialects[dialect] = known_dialect(dialect)
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(_depth() + headroom)
        try:
            result = analyse_sql(sql, dialects[dialect], lookup)
            reply: tuple[Any, ...] = ("done", result, lookup.asked)
        except RecursionError:
            reply = ("recursion",)
        except Exception as exc:  # the check analyses it again, and reports what it raises
            reply = ("failed", type(exc).__name__)
        finally:
            sys.setrecursionlimit(limit)
        _send(replies, reply)


def main() -> None:
    """The helper's entry point (Worker starts it): requests on stdin, replies on a copy of
    stdout; what anything else prints goes to stderr (discarded), never into a reply."""
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    serve(sys.stdin.buffer, replies)
