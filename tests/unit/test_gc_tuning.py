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


def test_only_the_outermost_long_lived_block_freezes_and_unfreezes() -> None:
    from floe_ci.gc_tuning import long_lived_objects

    assert gc.get_freeze_count() == 0
    with long_lived_objects() as outer:
        outer()
        frozen = gc.get_freeze_count()
        assert frozen > 0
        with long_lived_objects() as inner:
            inner()  # a nested block's settle does nothing and its exit unfreezes nothing
        assert gc.get_freeze_count() == frozen
    assert gc.get_freeze_count() == 0
