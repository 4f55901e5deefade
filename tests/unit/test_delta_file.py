"""delta_file: a base written whole, small deltas beside it, each tied to its base."""

from __future__ import annotations

from pathlib import Path

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


def test_a_gap_ends_the_chain_and_a_broken_one_asks_for_a_base(tmp_path: Path) -> None:
    file = DeltaFile(tmp_path / "cache.json")
    file.write_base(b"x" * 1000)
    for body in (b"1", b"2", b"3"):
        file.write_delta(body)
    second = next(p for p in tmp_path.iterdir() if p.name.endswith(".2"))
    second.unlink()
    again = DeltaFile(tmp_path / "cache.json")
    assert again.read().deltas == [b"1"]
    assert again.wants_delta(1)
    again.broken()
    assert not again.wants_delta(1)


def test_a_file_without_the_header_is_no_base(tmp_path: Path) -> None:
    (tmp_path / "cache.json").write_text('{"an": "older format"}')
    assert DeltaFile(tmp_path / "cache.json").read().base is None
