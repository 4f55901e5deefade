"""Seeded mutations of JSON-like data and of YAML text, for the fuzz tests.

Each mutation picks a place in the document (any value, found by walking it) and does one
thing there: replace the value by one of another type, delete it, nest it very deeply, or
change a known field to a hostile value. The seed makes every run of the suite identical."""

from __future__ import annotations

import copy
import random
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

Path = tuple[Any, ...]

HOSTILE_VALUES: list[Callable[[random.Random], Any]] = [
    lambda r: None,
    lambda r: True,
    lambda r: r.randint(-(2**70), 2**70),
    lambda r: 1.5e308,
    lambda r: "",
    lambda r: "x" * r.randint(1, 5000),
    lambda r: "\u202e\x00`|<script>@everyone",
    lambda r: [],
    lambda r: {},
    lambda r: [1, "a", None],
    lambda r: {"": {"": []}},
    lambda r: _deep(r.randint(40, 3000)),
]


def _deep(depth: int) -> Any:
    value: Any = "bottom"
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


def _paths(document: Any, limit: int = 20000) -> list[Path]:
    found: list[Path] = []
    stack: list[tuple[Path, Any]] = [((), document)]
    while stack and len(found) < limit:
        path, value = stack.pop()
        found.append(path)
        if isinstance(value, dict):
            stack.extend(((*path, k), v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend(((*path, i), v) for i, v in enumerate(value))
    return found


def _set(document: Any, path: Path, value: Any, delete: bool = False) -> Any:
    if not path:
        return value
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    if delete and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return document


def mutate(document: Any, rng: random.Random, focus: list[Path] | None = None) -> Any:
    """One to three mutations of a deep copy of `document`."""
    mutated = copy.deepcopy(document)
    for _ in range(rng.randint(1, 3)):
        paths = focus if focus and rng.random() < 0.6 else _paths(mutated)
        path = rng.choice(paths)
        try:
            if rng.random() < 0.15:
                mutated = _set(mutated, path, None, delete=True)
            else:
                mutated = _set(mutated, path, rng.choice(HOSTILE_VALUES)(rng))
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed the place: try another
    return mutated


class Hang(Exception):
    """A fuzzed run did not finish within its time limit."""


@contextmanager
def deadline(seconds: int) -> Iterator[None]:
    """Raise Hang in the main thread after `seconds` (a hang counts as a failure)."""

    def expired(*_: object) -> None:
        raise Hang(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
