"""manifest_is_stale: a project file newer than the manifest (and only such a file) counts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from floe_ci.integrations.dbt.project import DbtProject, input_files, manifest_is_stale

OLD, BUILT, NEW = 1_000_000.0, 2_000_000.0, 3_000_000.0


def _touch(path: Path, when: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("x")
    os.utime(path, (when, when))
    return path


@pytest.fixture
def project(tmp_path: Path) -> DbtProject:
    for name in ("dbt_project.yml", "models/a.sql", "models/deep/er/b.yml", "seeds/s.csv"):
        _touch(tmp_path / name, OLD)
    _touch(tmp_path / "target" / "manifest.json", BUILT)
    return DbtProject(tmp_path, "shop", "shop", "target", {"name": "shop"})


def _by_input_files(project: DbtProject) -> bool:
    """The definition: any file input_files() lists is newer than the manifest."""
    built = project.manifest_path.stat().st_mtime
    return any(path.stat().st_mtime > built for path in input_files(project))


def test_fresh_manifest(project: DbtProject) -> None:
    assert manifest_is_stale(project) is False
    assert _by_input_files(project) is False


@pytest.mark.parametrize("name", ["models/a.sql", "models/deep/er/b.yml", "seeds/s.csv", "x.md"])
def test_a_newer_project_file_makes_it_stale(project: DbtProject, name: str) -> None:
    _touch(project.path / name, NEW)
    assert manifest_is_stale(project) is True
    assert _by_input_files(project) is True


@pytest.mark.parametrize(
    "name",
    [
        "target/run/a.sql",  # dbt's own output
        "logs/dbt.sql",
        ".floe/cache/x.yml",
        ".hidden/a.sql",
        "dbt_packages/p/models/a.sql",
        "models/notes.txt",  # not a suffix dbt reads
    ],
)
def test_generated_hidden_or_unread_files_do_not_count(project: DbtProject, name: str) -> None:
    _touch(project.path / name, NEW)
    assert manifest_is_stale(project) is False
    assert _by_input_files(project) is False


def test_custom_target_path_skips_only_its_own_files(tmp_path: Path) -> None:
    _touch(tmp_path / "models" / "a.sql", OLD)
    _touch(tmp_path / "build" / "manifest.json", BUILT)
    project = DbtProject(tmp_path, "shop", "shop", "build", {"name": "shop"})
    _touch(tmp_path / "build" / "graph.yml", NEW)
    assert manifest_is_stale(project) is _by_input_files(project) is False
    _touch(tmp_path / "build" / "sub" / "c.sql", NEW)  # os.walk goes below it: so do we
    assert manifest_is_stale(project) is _by_input_files(project) is True


def test_no_manifest_is_stale(tmp_path: Path) -> None:
    assert manifest_is_stale(DbtProject(tmp_path, "shop", "shop", "target", {})) is True


def test_an_edit_in_a_local_package_folder_makes_it_stale(
    project: DbtProject, tmp_path: Path
) -> None:
    package = tmp_path.parent / f"{tmp_path.name}-crm"  # `local: ../crm`, outside the project
    _touch(package / "models" / "c.sql", OLD)
    assert manifest_is_stale(project, [package]) is False
    _touch(package / "models" / "c.sql", NEW)
    assert manifest_is_stale(project, [package]) is True
    assert manifest_is_stale(project) is False  # not looked at unless named
