"""Atomic writes: the old file survives a failed write, and no temporary file is left."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from floe_ci.errors import FloeUsageError
from floe_ci.fsutil import write_atomic, write_cache


def test_write_creates_parents_and_replaces(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b.json"
    write_atomic(target, "one")
    write_atomic(target, b"two")
    assert target.read_text() == "two"
    assert [p.name for p in target.parent.iterdir()] == ["b.json"]


@pytest.mark.parametrize("write", [write_atomic, write_cache], ids=["file", "cache"])
def test_failed_write_keeps_the_old_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, write: Callable[[Path, str], None]
) -> None:
    target = tmp_path / "artifacts.json"
    target.write_text("precious")

    def broken_replace(src: str, dst: Path) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("floe_ci.fsutil.os.replace", broken_replace)
    with pytest.raises(FloeUsageError, match=r"cannot write artifacts\.json: disk full"):
        write(target, "new")
    assert target.read_text() == "precious"
    assert [p.name for p in tmp_path.iterdir()] == ["artifacts.json"]


def test_new_files_get_the_umask_mode_and_existing_files_keep_theirs(tmp_path: Path) -> None:
    import os

    previous = os.umask(0o022)
    try:
        fresh = tmp_path / "fresh.json"
        write_atomic(fresh, "x")
        assert fresh.stat().st_mode & 0o777 == 0o644
        private = tmp_path / "private.json"
        private.write_text("secret-free but private")
        private.chmod(0o600)
        write_atomic(private, "y")
        assert private.stat().st_mode & 0o777 == 0o600
    finally:
        os.umask(previous)


def test_a_report_waits_for_the_disk_and_a_cache_does_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[int] = []
    monkeypatch.setattr("floe_ci.fsutil.os.fsync", synced.append)
    write_atomic(tmp_path / "report.json", "{}")
    assert len(synced) == 1
    write_cache(tmp_path / "cache" / "lineage.json", b"{}")
    assert len(synced) == 1  # a cache lost in a crash is rebuilt; ~10 ms per fsync here
    assert (tmp_path / "cache" / "lineage.json").read_bytes() == b"{}"
    assert [p.name for p in (tmp_path / "cache").iterdir()] == ["lineage.json"]
