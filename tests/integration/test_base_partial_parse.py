"""A new base checkout starts from dbt's partial parse of the head (real dbt, real git)."""

from __future__ import annotations

from pathlib import Path

import pytest

from floe_ci.app.check import run_check
from floe_ci.app.review import base_snapshot, prepare_base
from floe_ci.governance.evaluate import CheckOptions
from floe_ci.integrations.dbt.parse import parse_target_project
from floe_ci.integrations.dbt.partial_parse import seed_base_checkout
from floe_ci.integrations.dbt.project import read_project
from tests.conftest import copy_example
from tests.git_support import git

pytestmark = pytest.mark.integration

IGNORED = ".floe/\ntarget/\nlogs/\n*.duckdb\n.user.yml\n"
PARSED = Path(".floe", "cache", "parse-target")  # floe-ci's parse: never the user's target/


def _repository(root: Path) -> Path:
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    copy_example(root / "shop")
    (root / ".gitignore").write_text(IGNORED)
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    return root


def test_the_base_parse_reuses_the_heads_partial_parse(tmp_path: Path) -> None:
    repo = _repository(tmp_path / "repo")
    config = repo / "shop" / "floe.yaml"
    model = repo / "shop" / "models" / "marts" / "orders.sql"
    model.write_text(model.read_text() + "\n-- the pull request's change\n")
    run_check(config, CheckOptions())  # the head: parsed, its partial parse file written
    head_file = repo / "shop" / PARSED / "partial_parse.msgpack"
    assert head_file.is_file()
    assert not (repo / "shop" / "target").exists()

    base = prepare_base(config, "main", CheckOptions())
    base_project = base.config.parent
    seeded = base_project / PARSED / "partial_parse.msgpack"
    assert not seeded.exists()
    base.seed_partial_parse(config)
    assert seeded.read_bytes() == head_file.read_bytes()

    snapshot = base_snapshot(config, "main", CheckOptions())
    log = (base_project / ".floe" / "logs" / "dbt.log").read_text(errors="replace")
    assert "Running with dbt" in log
    assert "Unable to do partial parsing" not in log, log[-2000:]
    # dbt re-parsed the file that differs: the base's model is the committed one.
    manifest = (base_project / PARSED / "manifest.json").read_text()
    assert "the pull request's change" not in manifest
    assert "model.shop.orders" in snapshot.models


def test_nothing_is_copied_when_git_tracks_floe_state(tmp_path: Path) -> None:
    """A pull request that commits `.floe/` may have forged the head's partial parse too."""
    repo = _repository(tmp_path / "repo")
    shop = repo / "shop"
    (shop / ".floe").mkdir()
    (shop / ".floe" / "planted").write_text("x")
    git(repo, "add", "-f", "shop/.floe/planted")
    git(repo, "commit", "-qm", "plant")
    (shop / PARSED).mkdir(parents=True)
    (shop / PARSED / "partial_parse.msgpack").write_bytes(b"forged")
    checkout = shop / ".floe" / "cache" / "base" / ("0" * 40)
    copy_example(checkout / "shop")
    head = parse_target_project(read_project(shop, "head"), shop / ".floe")
    base_shop = checkout / "shop"
    base = parse_target_project(read_project(base_shop, "base"), base_shop / ".floe")
    assert seed_base_checkout(head, base, checkout, shop) is None
    assert not (base_shop / PARSED / "partial_parse.msgpack").exists()

    git(repo, "rm", "-q", "--cached", "shop/.floe/planted")  # the same, trusted: copied
    assert (
        seed_base_checkout(head, base, checkout, shop)
        == (shop / PARSED / "partial_parse.msgpack").resolve()
    )
