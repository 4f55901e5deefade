"""Progress of a command's long steps on standard error, and the duration of every step.

A command activates one `Progress` (the CLI does, from `--quiet` / `--verbose`); the code
of the application marks its steps where they happen, without passing anything down::

    from floe_ci.app.progress import step

    with step("lineage", unit="models") as lineage:
        build(..., on_model=lineage.update)   # "lineage 1,200/5,000 models 3.4s"

Without an active Progress a step costs two clock readings and prints nothing. On a
terminal a thread redraws one line in place four times a second for as long as the
command works (the innermost step, its counts, its elapsed seconds), so the user never
waits in silence, and clears it before anything else is printed. Elsewhere (a CI log) a
step that lasts over a second gets a start line, a "still running" line every 30 s, and
an end line with its duration. Nothing is written to standard output: it carries reports.
"""

from __future__ import annotations

import contextlib
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TextIO

TICK = 0.25  # seconds between two redraws of the live line
LIVE_AFTER = 0.2  # a command that ends sooner shows no line at all
PLAIN_AFTER = 1.0  # without a terminal, only steps longer than this are announced
PLAIN_NOTE_EVERY = 30.0  # ... and say they are still running this often
_SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


@dataclass
class _Step:
    key: str  # "base_revision.dbt_parse": the key of its duration in the report
    label: str  # "base revision › dbt parse": what the user reads
    unit: str
    started: float
    done: int | None = None
    total: int | None = None
    announced: bool = False  # without a terminal: its start line was printed
    noted: float = 0.0  # ... when a line about it was last printed

    def counts(self) -> str:
        if self.done is None:
            return ""
        of = f"/{self.total:,}" if self.total is not None else ""
        return f" {self.done:,}{of} {self.unit}".rstrip()


class StepHandle:
    """What a step's code sees: a way to report how far it got."""

    def __init__(self, progress: Progress | None, state: _Step) -> None:
        self._progress = progress
        self._state = state

    def update(self, done: int, total: int | None = None) -> None:
        """`done` of `total` units (models, nodes) finished; safe from any thread."""
        self._state.done = done
        if total is not None:
            self._state.total = total


@dataclass
class Progress:
    """The progress display of one command and the durations of its steps."""

    stream: TextIO | None  # standard error; None: time the steps, print nothing
    live: bool  # a terminal: one line redrawn in place
    command: str = "floe-ci"
    durations: dict[str, float] = field(default_factory=dict)
    _stack: list[_Step] = field(default_factory=list)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _stopped: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _started: float = 0.0
    _drawn: bool = False  # the live line is on the screen
    _frame: int = 0

    def start(self) -> None:
        self._started = time.monotonic()
        if self.stream is not None:
            self._thread = threading.Thread(target=self._run, name="floe-progress", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join()
        with self._lock:
            self._clear()

    @contextlib.contextmanager
    def step(self, key: str, label: str | None = None, unit: str = "") -> Iterator[StepHandle]:
        shown = label or key.replace("_", " ")
        with self._lock:
            parent = self._stack[-1] if self._stack else None
            state = _Step(
                key=f"{parent.key}.{key}" if parent else key,
                label=f"{parent.label} › {shown}" if parent else shown,
                unit=unit,
                started=time.monotonic(),
            )
            self._stack.append(state)
        failed = False
        try:
            yield StepHandle(self, state)
        except BaseException:
            failed = True
            raise
        finally:
            took = time.monotonic() - state.started
            with self._lock:
                self._stack.remove(state)
                self.durations[state.key] = self.durations.get(state.key, 0.0) + took
                if state.announced:
                    verb = "stopped after" if failed else "done in"
                    self._plain(f"{state.label}{state.counts()}: {verb} {took:.1f}s")

    def write(self, stream: TextIO, text: str) -> None:
        """Write `text` to `stream` (standard output, during a run) without mixing it into
        the live line: the line is cleared first and redrawn at the next tick."""
        with self._lock:
            self._clear()
            stream.write(text)
            stream.flush()

    def summary(self) -> list[str]:
        """One line per step with its seconds, for `--verbose`."""
        width = max((len(key) for key in self.durations), default=0)
        lines = [f"  {key:<{width}}  {seconds:7.2f}s" for key, seconds in self.durations.items()]
        total = time.monotonic() - self._started
        return [*lines, f"  {'total':<{width}}  {total:7.2f}s"]

    def _run(self) -> None:
        while not self._stopped.wait(TICK):
            with self._lock:
                if self.live:
                    self._draw()
                else:
                    self._announce()

    def _draw(self) -> None:
        now = time.monotonic()
        if now - self._started < LIVE_AFTER or self.stream is None:
            return
        if self._stack:
            current = self._stack[-1]
            text = f"{current.label}{current.counts()} {now - current.started:.1f}s"
        else:
            text = f"{self.command} {now - self._started:.1f}s"
        self._frame += 1
        line = f"{_SPINNER[self._frame % len(_SPINNER)]} {text}"
        width = shutil.get_terminal_size((80, 24)).columns - 1  # a wrapped line cannot redraw
        self.stream.write(f"\r{line[:width]}\x1b[K")
        self.stream.flush()
        self._drawn = True

    def _announce(self) -> None:
        now = time.monotonic()
        for state in self._stack:
            elapsed = now - state.started
            if not state.announced and elapsed >= PLAIN_AFTER:
                state.announced, state.noted = True, now
                self._plain(f"{state.label}{state.counts()}…")
            elif state.announced and now - state.noted >= PLAIN_NOTE_EVERY:
                state.noted = now
                self._plain(f"{state.label}{state.counts()}: still running, {elapsed:.0f}s")

    def _plain(self, text: str) -> None:
        if self.stream is None or self.live:
            return
        self.stream.write(f"{self.command}: {text}\n")
        self.stream.flush()

    def _clear(self) -> None:
        if self._drawn and self.stream is not None:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._drawn = False


_active: list[Progress] = []


@contextlib.contextmanager
def activated(progress: Progress) -> Iterator[Progress]:
    """Make `progress` the one `step()` reports to, for the duration of a command."""
    _active.append(progress)
    progress.start()
    try:
        yield progress
    finally:
        progress.stop()
        _active.remove(progress)


@contextlib.contextmanager
def step(key: str, label: str | None = None, unit: str = "") -> Iterator[StepHandle]:
    """Mark a step of the active command (see the module's docstring)."""
    if not _active:
        yield StepHandle(None, _Step(key, label or key, unit, time.monotonic()))
        return
    with _active[-1].step(key, label, unit) as handle:
        yield handle


def current() -> Progress | None:
    return _active[-1] if _active else None


def write_out(stream: TextIO, text: str) -> None:
    """Write to `stream` without mixing the text into the live line of the active command."""
    progress = current()
    if progress is None:
        stream.write(text)
        stream.flush()
    else:
        progress.write(stream, text)
