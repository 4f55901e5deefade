"""delta_file: a base written whole, small deltas beside it, each tied to its base."""

from __future__ import annotations

from pathlib import Path

import pytest

from floe_ci.delta_file import MAX_DELTAS, DeltaFile


def test_deltas_are_read_in_order_after_their_base(tmp_path: Path) -> None:
    file = DeltaFile(tmp_path / "cache.json")
    assert file.read().base is None
    file.write_base(b"x" * 100)
    file.write_delta(b"one")
    file.write_delta("two")
    found = DeltaFile(tmp_path / "cache.json").read()
    assert (found.base, found.deltas) == (b"x" * 100, [b"one", b"two"])


def test_a_new_base_removes_the_deltas_and_old_deltas_never_apply_to_it(tmp_path: Path) -> None:
    file = DeltaFile(tmp_path / "cache.json")
    file.write_base(b"first")
    file.read()
    file.write_delta(b"of the first")
    left = next(p for p in tmp_path.iterdir() if p.name != "cache.json")
    kept = left.read_bytes()
    file.write_base(b"second")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache.json"]
    left.write_bytes(kept)  # as an interrupted rewrite would leave it
    assert DeltaFile(tmp_path / "cache.json").read().deltas == []


def test_deltas_stay_under_a_quarter_of_the_base_and_a_bounded_count(tmp_path: Path) -> None:
    file = DeltaFile(tmp_path / "cache.json")
    assert not file.wants_delta(1)  # no base read: nothing to add to
    file.write_base(b"x" * 400)
    assert file.wants_delta(100) and not file.wants_delta(101)
    file.write_delta(b"y" * 60)
    assert file.wants_delta(40) and not file.wants_delta(41)
    small = DeltaFile(tmp_path / "small.json")
    small.write_base(b"x" * 10_000)
    for _ in range(MAX_DELTAS):
        assert small.wants_delta(1)
        small.write_delta(b"d")
    assert not small.wants_delta(1)
    assert len(DeltaFile(tmp_path / "small.json").read().deltas) == MAX_DELTAS


def test_a_gap_ends_the_chain_and_what_lies_past_it_never_applies(tmp_path: Path) -> None:
    file = DeltaFile(tmp_path / "cache.json")
    file.write_base(b"x" * 1000)
    for body in (b"1", b"2", b"3"):
        file.write_delta(body)
    next(p for p in tmp_path.iterdir() if p.name.endswith(".2")).unlink()
    again = DeltaFile(tmp_path / "cache.json")
    assert again.read().deltas == [b"1"]
    assert again.wants_delta(1)
    again.write_delta(b"new 2")  # the old third one was made on the old second one
    last = DeltaFile(tmp_path / "cache.json")
    found = last.read()
    assert found.deltas == [b"1", b"new 2"] and found.broken
    assert not last.wants_delta(1)  # the next save writes a base, which removes the stale one


def test_a_delta_replaced_by_another_writer_ends_the_chain(tmp_path: Path) -> None:
    DeltaFile(tmp_path / "cache.json").write_base(b"x" * 1000)
    first, second = DeltaFile(tmp_path / "cache.json"), DeltaFile(tmp_path / "cache.json")
    first.read()
    second.read()
    first.write_delta(b"first's")
    second.write_delta(b"second's")  # the same number: it replaces the first's
    first.write_delta(b"made on first's")
    found = DeltaFile(tmp_path / "cache.json").read()
    assert found.deltas == [b"second's"] and found.broken


def test_a_caller_that_cannot_apply_a_delta_asks_for_a_base(tmp_path: Path) -> None:
    file = DeltaFile(tmp_path / "cache.json")
    file.write_base(b"x" * 1000)
    file.write_delta(b"1")
    again = DeltaFile(tmp_path / "cache.json")
    again.read()
    again.broken()
    assert not again.wants_delta(1)


@pytest.mark.parametrize("token", ["../../etc", "a\0b", "short", "ABCDEF0123456789"])
def test_a_base_whose_token_is_not_ours_is_no_base(tmp_path: Path, token: str) -> None:
    (tmp_path / "cache.json").write_bytes(b"floe-cache-base " + token.encode() + b"\n{}")
    assert DeltaFile(tmp_path / "cache.json").read().base is None


def test_a_file_without_the_header_is_no_base(tmp_path: Path) -> None:
    (tmp_path / "cache.json").write_text('{"an": "older format"}')
    assert DeltaFile(tmp_path / "cache.json").read().base is None
