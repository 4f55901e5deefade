"""A warm check's SQL analysis in a helper process, which imports sqlglot on the other core.

A warm check analyses only the models a change reached, often one, and importing sqlglot
for it cost ~0.15 s of a 1.5 s check at 5,000 models. The helper is started with the check,
imports sqlglot while the check reads the manifest and its caches, and analyses the first
`SHARE` statements; after that (or when it is gone) the check analyses here as before.

Each request carries the statement, the dialect, the columns of the relations it most
likely reads (its model's parents) and the stack depth left (so that a query nested too
deeply fails alike in both processes). The reply is the result, with the relations the
analysis asked about that the request did not hold: when the check knows columns for one of
them, it asks again with those. So the result is the one `analyse_sql` gives here.

The helper is this interpreter with the check's sys.path, running `main()`: requests on
its standard input, replies on its standard output.
"""

from __future__ import annotations

import contextlib
import pickle
import struct
import subprocess
import sys
from collections.abc import Sequence
from typing import IO, Any

from floe_ci.lineage.column_refs import RelationColumns, RelationKey, SqlColumns

SHARE = 50  # statements past these are analysed in the check: sqlglot is worth importing there
_LENGTH = struct.Struct("<Q")
_MAIN = "from floe_ci.app.sql_worker import main; main()"
_ASKS = 4  # rounds of "these relations too" before the statement is analysed here


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
        self.answered = 0

    def __call__(
        self,
        sql: str,
        dialect: str,
        relation_columns: RelationColumns,
        likely: Sequence[RelationKey],
    ) -> SqlColumns | None:
        if self._process is None or self.answered >= SHARE:
            return None
        known = {key: relation_columns(key) for key in likely}
        headroom = sys.getrecursionlimit() - _depth()
        for _round in range(_ASKS):
            reply = self._ask((sql, dialect, known, headroom))
            if not isinstance(reply, tuple) or not reply:
                return None  # gone (or a reply of another protocol): the check analyses it
            if reply[0] == "recursion":
                self.answered += 1
                raise RecursionError("the SQL analysis exceeded Python's recursion limit")
            if reply[0] != "done":
                return None  # its own failure: the analysis here decides
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

    def _ask(self, request: tuple[Any, ...]) -> Any:
        process = self._process
        assert process is not None and process.stdin is not None and process.stdout is not None
        try:
            _send(process.stdin, request)
            return _receive(process.stdout)
        except (OSError, EOFError, pickle.UnpicklingError, struct.error):
            self.close()  # it died or broke the protocol: the check carries on without it
            return None


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
        sys.setrecursionlimit(max(_depth() + headroom, 100))
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
    """The helper's entry point (Worker starts it): requests on stdin, replies on stdout."""
    serve(sys.stdin.buffer, sys.stdout.buffer)
