"""The findings memo: relations kept whole, then as deltas of what changed."""

from __future__ import annotations

from pathlib import Path

from floe_ci.app.findings_memo import MEMO_FILE, FindingsMemo
from floe_ci.governance.evaluate import CheckOptions
from floe_ci.governance.incremental import Stored
from floe_ci.governance.result import Finding


def _stored(key: str, message: str) -> Stored:
    finding = Finding(
        rule_id="FLOE301", rule_name="classification-not-propagated", severity="error",
        message=message, node_id=f"model.p.{key}", file="models/a.yml", line=3,
    )  # fmt: skip
    return Stored(key, (finding,), (("models/a.yml", "digest"),))


def _memo(tmp_path: Path) -> FindingsMemo:
    return FindingsMemo(tmp_path / "findings", tmp_path, CheckOptions())


def test_a_change_is_kept_as_a_delta_and_read_back_merged(tmp_path: Path) -> None:
    relations = {f"model.p.m{i}": _stored(f"k{i}", f"finding {i}") for i in range(30)}
    first = _memo(tmp_path)
    assert first.load() == {}
    first.save(relations)
    second = _memo(tmp_path)
    loaded = second.load()
    assert loaded == relations
    second.save(loaded)  # nothing changed: nothing written
    assert [p.name for p in (tmp_path / "findings").iterdir()] == [MEMO_FILE]
    changed = {**loaded, "model.p.m2": _stored("new", "changed")}
    del changed["model.p.m7"]
    second.save(changed)
    folder = sorted(p.name for p in (tmp_path / "findings").iterdir())
    assert len(folder) == 2 and folder[0] == MEMO_FILE
    assert _memo(tmp_path).load() == changed


def test_a_memo_of_other_options_reuses_nothing(tmp_path: Path) -> None:
    _memo(tmp_path).save({"model.p.a": _stored("k", "m")})
    other = FindingsMemo(tmp_path / "findings", tmp_path, CheckOptions(fail_on="warning"))
    assert other.load() == {}


def test_an_unreadable_delta_is_dropped_and_the_next_save_is_whole(tmp_path: Path) -> None:
    relations = {f"model.p.m{i}": _stored(f"k{i}", f"finding {i}") for i in range(30)}
    _memo(tmp_path).save(relations)
    memo = _memo(tmp_path)
    changed = {**memo.load(), "model.p.m2": _stored("new", "changed")}
    memo.save(changed)
    delta = next(p for p in (tmp_path / "findings").iterdir() if p.name != MEMO_FILE)
    header = delta.read_bytes().partition(b"\n")[0]
    delta.write_bytes(header + b'\n{"version": 1, "project": "x", "relations": {"a": ["k", []]}}')
    again = _memo(tmp_path)
    assert again.load() == relations  # as if the delta was never written
    again.save(changed)
    assert [p.name for p in (tmp_path / "findings").iterdir()] == [MEMO_FILE]
    assert _memo(tmp_path).load() == changed


def test_a_malformed_entry_reads_as_no_memo(tmp_path: Path) -> None:
    memo = _memo(tmp_path)
    memo.save({"model.p.a": _stored("k", "m")})
    stored = tmp_path / "findings" / MEMO_FILE
    header = stored.read_bytes().partition(b"\n")[0]
    body = b'{"version": 1, "project": "%s", "relations": {"a": ["k", []]}, "findings": []}'
    stored.write_bytes(header + b"\n" + body % memo.project_key.encode())
    assert _memo(tmp_path).load() == {}


def test_waived_findings_and_classified_counts_are_read_back_as_stored(tmp_path: Path) -> None:
    """What a warm check's result is made of: the waiver and its reason, and the count of
    classified columns its stats add up, in the base and in a delta alike."""
    waived = Finding(
        rule_id="FLOE301", rule_name="classification-not-propagated", severity="error",
        message="m", node_id="model.p.a", file="models/a.yml", line=3, column="email",
        waived=True, waiver_reason="hashed upstream",
    )  # fmt: skip
    relations = {
        "model.p.a": Stored("ka", (waived,), (("models/a.yml", "d"),), classified=4),
        **{f"model.p.m{i}": _stored(f"k{i}", f"finding {i}") for i in range(30)},
    }
    first = _memo(tmp_path)
    first.load()
    first.save(relations)
    loaded = _memo(tmp_path).load()
    assert loaded == relations
    assert loaded["model.p.a"].classified == 4
    assert loaded["model.p.a"].findings[0].waiver_reason == "hashed upstream"
    second = _memo(tmp_path)
    changed = {**second.load(), "model.p.m3": Stored("k3b", (), (), classified=7)}
    second.save(changed)  # a delta
    assert len(list((tmp_path / "findings").iterdir())) == 2
    assert _memo(tmp_path).load()["model.p.m3"].classified == 7
