"""A warm check walks the shape of changed manifest entries only, and still refuses bad ones.

`read_manifest_reusing` keeps the digests of the entries that passed the shape check in a
cache folder; an entry with the same content is not walked again, any other is.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from floe_ci.errors import FloeUsageError
from floe_ci.governance.incremental import relation_keys
from floe_ci.integrations.dbt.manifest_file import (
    CHECKED_FILE,
    node_digests,
    read_manifest,
    read_manifest_reusing,
)

pytestmark = pytest.mark.integration


def _model(name: str, data_type: Any = "integer") -> dict[str, Any]:
    uid = f"model.shop.{name}"
    return {
        "unique_id": uid,
        "name": name,
        "resource_type": "model",
        "package_name": "shop",
        "original_file_path": f"models/{name}.sql",
        "raw_code": "select 1 as id",
        "depends_on": {"nodes": [], "macros": []},
        "config": {"materialized": "view", "meta": {}},
        "columns": {"id": {"name": "id", "data_type": data_type, "meta": {}}},
        "created_at": 1.0,
    }


def _manifest(*models: dict[str, Any]) -> dict[str, Any]:
    return {
        "metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json"},
        "nodes": {m["unique_id"]: m for m in models},
        "sources": {},
    }


def _write(path: Path, manifest: dict[str, Any]) -> Path:
    path.write_text(json.dumps(manifest))
    return path


def test_a_changed_entry_of_a_bad_shape_is_refused_after_a_warm_read(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    good = _manifest(_model("orders"), _model("customers"))
    read = read_manifest_reusing(_write(tmp_path / "m.json", good), cache)
    assert set(read.digests) == {"model.shop.orders", "model.shop.customers"}
    assert (cache / CHECKED_FILE).is_file()

    bad = _manifest(_model("orders", data_type=5), _model("customers"))
    with pytest.raises(FloeUsageError) as refused:
        read_manifest_reusing(_write(tmp_path / "m.json", bad), cache)
    assert "model.shop.orders" in str(refused.value)
    assert "data_type" in str(refused.value)


def test_an_entry_whose_content_passed_before_is_not_walked_again(tmp_path: Path) -> None:
    """Shown by a forged cache: the digest of a bad entry recorded as passed lets it through
    (the cache lives in `.floe/`, which a committed copy never provides: state_guard)."""
    cache = tmp_path / "cache"
    read_manifest_reusing(_write(tmp_path / "good.json", _manifest(_model("orders"))), cache)
    bad = _manifest(_model("orders", data_type=5))
    digest = node_digests(bad)[("nodes", "model.shop.orders")]
    stored = (cache / CHECKED_FILE).read_bytes()
    header = stored.partition(b"\n")[0]
    (cache / CHECKED_FILE).write_bytes(header + b"\n" + digest)
    path = _write(tmp_path / "bad.json", bad)
    assert read_manifest_reusing(path, cache).data["nodes"]["model.shop.orders"]
    with pytest.raises(FloeUsageError):
        read_manifest(path)  # without the cache it is walked, and refused


def test_a_cache_of_another_checker_or_unreadable_checks_everything(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    bad = _manifest(_model("orders", data_type=5))
    digest = node_digests(bad)[("nodes", "model.shop.orders")]
    (cache / CHECKED_FILE).write_bytes(b"floe-ci 0.0.0 another\n" + digest)
    path = _write(tmp_path / "bad.json", bad)
    with pytest.raises(FloeUsageError):
        read_manifest_reusing(path, cache)
    (cache / CHECKED_FILE).write_bytes(b"\x00garbage")
    with pytest.raises(FloeUsageError):
        read_manifest_reusing(path, cache)


def test_the_digest_ignores_dbts_parse_time_only(tmp_path: Path) -> None:
    first = node_digests(_manifest(_model("orders")))
    reparsed = _model("orders")
    reparsed["created_at"] = 2.0
    assert node_digests(_manifest(reparsed)) == first
    described = _model("orders")
    described["description"] = "the orders"
    assert node_digests(_manifest(described)) != first


def test_keys_are_the_same_whether_the_reader_gave_the_node_digests_or_not() -> None:
    """The check's reader hands over each entry's digest; a context built without them (the
    review's, a test's) must key every relation alike, or a warm check would reuse nothing."""
    from dataclasses import replace

    from tests.unit.test_incremental_rules import BASE

    ctx = BASE.context()
    manifest = {
        "nodes": {k: m.node for k, m in ctx.models.items()},
        "sources": {k: m.node for k, m in ctx.inputs.items() if m.resource_type == "source"},
    }
    given = {uid: d for (_section, uid), d in node_digests(manifest).items()}
    assert set(given) >= set(ctx.models)
    assert relation_keys(replace(ctx, node_digests=given), "p") == relation_keys(ctx, "p")
    touched = dict(given, **{next(iter(ctx.models)): b"another content!"})
    assert relation_keys(replace(ctx, node_digests=touched), "p") != relation_keys(ctx, "p")
