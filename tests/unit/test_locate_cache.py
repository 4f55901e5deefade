"""The scans of properties files cached under .floe/cache/locations: hit, miss, corrupt."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from floe_ci.integrations.dbt import column_locations as locate
from floe_ci.integrations.dbt.column_locations import SCAN_CACHE_FILE, FastColumnLocations

PROPERTIES = """\
version: 2
models:
  - name: customers
    columns:
      - name: customer_id
      - name: email
"""
NODE = {
    "name": "customers",
    "patch_path": "p://models/_p.yml",
    "original_file_path": "models/customers.sql",
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "_p.yml").write_text(PROPERTIES)
    return tmp_path


def locate_email(project: Path, cache: Path) -> tuple[str | None, int | None]:
    locations = FastColumnLocations(project, project, cache)
    found = locations(NODE, "email")
    locations.save()
    return found


def count_scans(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    scanned: list[str] = []
    real = locate.scan_properties

    def counting(text: str) -> dict[str, locate._Entry]:
        scanned.append(text)
        return real(text)

    monkeypatch.setattr(locate, "scan_properties", counting)
    return scanned


def test_second_run_reads_the_lines_from_the_cache(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    scanned = count_scans(monkeypatch)
    assert locate_email(project, cache) == ("models/_p.yml", 6)
    assert (cache / SCAN_CACHE_FILE).is_file()
    assert locate_email(project, cache) == ("models/_p.yml", 6)
    assert len(scanned) == 1  # the second run hit the cache


def test_an_edited_file_is_scanned_again(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    scanned = count_scans(monkeypatch)
    locate_email(project, cache)
    # A comment moves the column down a line without changing what dbt parses.
    (project / "models" / "_p.yml").write_text(PROPERTIES.replace("models:\n", "models:\n# x\n"))
    assert locate_email(project, cache) == ("models/_p.yml", 7)
    assert len(scanned) == 2


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b'{"version": "0", "files": {}}',
        b'{"version": "1", "files": {"models/_p.yml": ["d"]}}',
        b'{"version": "1", "files": {"models/_p.yml": ["d", {"customers": 3}]}}',
        b"[]",
    ],
)
def test_a_corrupt_or_foreign_cache_is_ignored_and_rewritten(
    project: Path, tmp_path: Path, content: bytes
) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / SCAN_CACHE_FILE).write_bytes(content)
    assert locate_email(project, cache) == ("models/_p.yml", 6)
    data = json.loads((cache / SCAN_CACHE_FILE).read_text())
    assert data["version"] == locate.SCAN_VERSION
    assert data["files"]["models/_p.yml"][1]["customers"] == [3, {"customer_id": 5, "email": 6}]


def test_a_cache_entry_with_the_right_digest_is_trusted(project: Path, tmp_path: Path) -> None:
    """The digest is what decides: a planted entry for the same bytes is used as is."""
    cache = tmp_path / "cache"
    locate_email(project, cache)
    data = json.loads((cache / SCAN_CACHE_FILE).read_text())
    data["files"]["models/_p.yml"][1]["customers"][1]["email"] = 42
    (cache / SCAN_CACHE_FILE).write_text(json.dumps(data))
    assert locate_email(project, cache) == ("models/_p.yml", 42)


def test_without_a_cache_folder_nothing_is_written(project: Path, tmp_path: Path) -> None:
    locations = FastColumnLocations(project, project)
    assert locations(NODE, "email") == ("models/_p.yml", 6)
    locations.save()
    assert not any(tmp_path.rglob(SCAN_CACHE_FILE))
