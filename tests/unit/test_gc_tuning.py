"""keep_until_exit: what a one-shot `floe-ci check` holds is never taken apart before exit."""

from __future__ import annotations

import gc
import weakref

from floe_ci.gc_tuning import keep_until_exit


class _Big:
    """Stands for the manifest: any object a weak reference can watch."""


def test_a_kept_value_survives_its_last_reference_and_every_collection() -> None:
    value = _Big()
    watch = weakref.ref(value)
    try:
        keep_until_exit(value)
        del value
        gc.collect()
        assert watch() is not None
    finally:
        gc.unfreeze()  # this test process lives on: let the collector free it again
    gc.collect()
    assert watch() is None  # only the frozen cycle held it
