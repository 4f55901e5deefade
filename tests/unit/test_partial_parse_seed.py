"""seed_partial_parse: a project without dbt's partial parse file gets the newest donor's."""

from __future__ import annotations

import os
from pathlib import Path

from floe_ci.integrations.dbt.partial_parse import partial_parse_file, seed_partial_parse
from floe_ci.integrations.dbt.project import DbtProject


def _project(folder: Path, data: bytes | None = None, when: float = 0.0) -> DbtProject:
    project = DbtProject(folder, "shop", "shop", "target", {"name": "shop"})
    if data is not None:
        path = partial_parse_file(project)
        path.parent.mkdir(parents=True)
        path.write_bytes(data)
        os.utime(path, (when, when))
    return project


def test_the_newest_donor_is_copied(tmp_path: Path) -> None:
    old = _project(tmp_path / "old", b"old", 1_000.0)
    new = _project(tmp_path / "new", b"new", 2_000.0)
    base = _project(tmp_path / "base")
    assert seed_partial_parse(base, [old, _project(tmp_path / "none"), new]) == (
        partial_parse_file(new)
    )
    assert partial_parse_file(base).read_bytes() == b"new"
    assert [p.name for p in partial_parse_file(base).parent.iterdir()] == ["partial_parse.msgpack"]


def test_an_own_file_is_kept_and_no_donor_is_nothing(tmp_path: Path) -> None:
    own = _project(tmp_path / "base", b"own", 1_000.0)
    assert seed_partial_parse(own, [_project(tmp_path / "new", b"new", 2_000.0)]) is None
    assert partial_parse_file(own).read_bytes() == b"own"
    empty = _project(tmp_path / "empty")
    assert seed_partial_parse(empty, [_project(tmp_path / "none")]) is None
    assert not partial_parse_file(empty).exists()


def test_a_new_base_checkout_takes_an_older_checkouts_parse_target(tmp_path: Path) -> None:
    """Each checkout parses into its own `.floe/cache/parse-target/`: the donors are found
    there, at the same place in the checkouts beside it (not in their `target/`)."""
    from floe_ci.integrations.dbt.parse import parse_target_project
    from floe_ci.integrations.dbt.partial_parse import seed_base_checkout

    def checkout_project(checkout: Path) -> DbtProject:
        shop = checkout / "shop"
        shop.mkdir(parents=True)
        return parse_target_project(_project(shop), shop / ".floe")

    head = parse_target_project(_project(tmp_path / "head"), tmp_path / "head" / ".floe")
    checkouts = tmp_path / "head" / ".floe" / "cache" / "base"
    older = checkout_project(checkouts / ("1" * 40))
    partial_parse_file(older).parent.mkdir(parents=True)
    partial_parse_file(older).write_bytes(b"older base")
    (checkouts / ("1" * 40) / "shop" / "target").mkdir()  # a user-style target/: not a donor
    (checkouts / ("1" * 40) / "shop" / "target" / "partial_parse.msgpack").write_bytes(b"no")
    new_checkout = checkouts / ("2" * 40)
    base = checkout_project(new_checkout)
    assert seed_base_checkout(head, base, new_checkout, tmp_path / "head") == (
        partial_parse_file(older)
    )
    assert partial_parse_file(base).read_bytes() == b"older base"
    assert partial_parse_file(base).parent == new_checkout / "shop" / ".floe" / "cache" / (
        "parse-target"
    )
