"""dbt's manifest writer through the C JSON encoder writes exactly what dbt's own writes."""

from __future__ import annotations

import datetime
import decimal
import io
import json
from pathlib import Path

import pytest

from floe_ci.integrations.dbt import fast_artifacts
from tests.conftest import PARSED_MANIFEST

pytestmark = pytest.mark.integration


def _dbt_text(data: dict[str, object]) -> str:
    """What dbt_common's write_json writes: json.dump with dbt's encoder class."""
    from dbt_common.utils.encoding import JSONEncoder

    out = io.StringIO()
    json.dump(data, out, cls=JSONEncoder)
    return out.getvalue()


def _sample() -> dict[str, object]:
    """Shapes a manifest holds, and the values only dbt's encoder's `default` knows."""
    node = {
        "unique_id": "model.shop.orders",
        "raw_code": "select 'é', \"x\"\n\tfrom {{ ref('stg') }} -- ✓ \u2028",
        "columns": {"id": {"name": "id", "meta": {}, "tags": [], "quote": None}},
        "config": {"enabled": True, "persist_docs": {}, "threads": 4, "ratio": 0.1, "big": 1e300},
        "created_at": 1733000000.123456,
        "checksum": {"name": "sha256", "checksum": "ab" * 32},
    }
    return {
        "metadata": {"generated_at": datetime.datetime(2026, 12, 1, 22, 0, 0, 123456)},
        "nodes": {f"model.shop.m{i}": {**node, "n": i} for i in range(200)},
        "amount": decimal.Decimal("12.50"),
        "day": datetime.date(2026, 12, 1),
        "empty": [],
        "nested": [[1, 2.5, None, False, "s"]],
    }


def test_the_fast_writer_writes_dbts_bytes(tmp_path: Path) -> None:
    data = _sample()
    path = tmp_path / "deep" / "manifest.json"  # a folder dbt's write_file creates
    assert fast_artifacts.write_json_fast(str(path), data) is True
    assert path.read_text(encoding="utf-8") == _dbt_text(data)


def test_a_real_manifest_is_written_byte_for_byte(parsed_shop: Path, tmp_path: Path) -> None:
    data = json.loads((parsed_shop / PARSED_MANIFEST).read_text(encoding="utf-8"))
    path = tmp_path / "manifest.json"
    fast_artifacts.write_json_fast(str(path), data)
    assert path.read_text(encoding="utf-8") == _dbt_text(data)


def test_install_replaces_the_binding_the_manifest_writer_uses() -> None:
    import dbt.artifacts.schemas.base as base
    import dbt_common.clients.system as system

    fast_artifacts.install()
    assert base.write_json is fast_artifacts.write_json_fast
    assert system.write_json is fast_artifacts.write_json_fast
