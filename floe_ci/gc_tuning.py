"""Keeping Python's cyclic garbage collector off data that lives as long as a check.

A dbt manifest is millions of objects (dicts, lists, strings) that live as long as the
check; every full collection walks them all, which cost about a quarter of a warm
5,000-model check. Reference counting still frees everything; the cyclic collector only
needs to see objects made later. One place for this tuning: the check, the review and the
lineage builder use these helpers.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off meanwhile (reference counting still frees)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


@contextmanager
def long_lived_objects() -> Iterator[Callable[[], None]]:
    """Keep the cyclic garbage collector off the manifest and the facts built from it.

    A manifest is millions of objects that live as long as the check; every full collection
    walks them all, which cost about a quarter of a warm check. `settled()` freezes what exists
    now (gc.freeze); the collector keeps collecting everything made later, and all is
    unfrozen on exit so that a long-lived caller (tests, the review) can free it.
    """
    owner = gc.get_freeze_count() == 0
    try:
        yield gc.freeze if owner else _nothing
    finally:
        if owner:
            gc.unfreeze()


def _nothing() -> None:
    return None


def freeze_now() -> None:
    """Move every object alive now out of the collector's sight (gc.freeze).

    For what lives as long as the process or the check (imported modules such as sqlglot's,
    a decoded cache): the collector then never walks them again.
    """
    gc.freeze()
