"""input_digest: a manifest is current while the content dbt reads is unchanged."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from floe_ci.integrations.dbt import input_digest
from floe_ci.integrations.dbt.project import DbtProject

PROFILE = "parse-profile:duckdb:memory"


def _write(path: Path, text: str = "x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _manifest(project: DbtProject, invocation: str = "run-1") -> None:
    _write(project.manifest_path, '{"metadata": {"invocation_id": "' + invocation + '"}}')


def _parsed(project: DbtProject, packages: list[Path] | None = None) -> None:
    """As after a `dbt parse`: a manifest and the record of what it was parsed from."""
    _manifest(project)
    files = input_digest.input_files(project, packages or [])
    input_digest.save(project, input_digest.compute(project, files, PROFILE))


def _current(project: DbtProject, packages: list[Path] | None = None) -> bool:
    record = input_digest.stored(project)
    files = input_digest.input_files(project, packages or [])
    digest = input_digest.compute(project, files, PROFILE, record)
    return input_digest.is_current(project, digest, record)


@pytest.fixture
def project(tmp_path: Path) -> DbtProject:
    for name in ("dbt_project.yml", "models/a.sql", "models/deep/er/b.yml", "seeds/s.csv"):
        _write(tmp_path / name)
    _write(tmp_path / "macros" / "m.sql", "{% macro m() %}1{% endmacro %}")
    project = DbtProject(tmp_path, "shop", "shop", "target", {"name": "shop"})
    _parsed(project)
    return project


def test_same_content_is_current(project: DbtProject) -> None:
    assert _current(project) is True


def test_new_file_times_same_content_is_current(project: DbtProject) -> None:
    for path in project.path.rglob("*"):
        if path.is_file():
            os.utime(path, (3_000_000.0, 3_000_000.0))
    assert _current(project) is True


@pytest.mark.parametrize(
    "name",
    ["models/a.sql", "models/deep/er/b.yml", "seeds/s.csv", "macros/m.sql", "dbt_project.yml"],
)
def test_an_edit_dbt_reads_makes_it_stale(project: DbtProject, name: str) -> None:
    _write(project.path / name, "changed")
    assert _current(project) is False


@pytest.mark.parametrize(
    "name",
    ["models/new.sql", "packages.yml", "selectors.yml", "dbt_packages/p/models/a.sql"],
)
def test_a_new_file_dbt_reads_makes_it_stale(project: DbtProject, name: str) -> None:
    _write(project.path / name)
    assert _current(project) is False


@pytest.mark.parametrize(
    "name",
    [
        "floe.yaml",
        "dbt-bouncer.yml",
        "README.md",
        "target/run/a.sql",  # dbt's own output
        "logs/dbt.log",
        ".floe/cache/x.yml",
        "models/.hidden.sql",
        "scripts/load.py",  # outside every configured path
    ],
)
def test_files_dbt_does_not_read_change_nothing(project: DbtProject, name: str) -> None:
    _write(project.path / name, "anything")
    assert _current(project) is True


def test_configured_paths_replace_the_defaults(tmp_path: Path) -> None:
    config = {"name": "shop", "model-paths": ["transform"], "macro-paths": ["lib"]}
    _write(tmp_path / "transform" / "a.sql")
    _write(tmp_path / "models" / "notes.sql")
    project = DbtProject(tmp_path, "shop", "shop", "target", config)
    _parsed(project)
    _write(tmp_path / "models" / "notes.sql", "not a model folder here")
    assert _current(project) is True
    _write(tmp_path / "transform" / "a.sql", "changed")
    assert _current(project) is False


def test_a_path_setting_that_is_not_a_list_reads_the_whole_project(tmp_path: Path) -> None:
    config = {"name": "shop", "model-paths": "{{ env_var('MODELS') }}"}
    project = DbtProject(tmp_path, "shop", "shop", "target", config)
    _write(tmp_path / "anywhere" / "a.sql")
    _parsed(project)
    _write(tmp_path / "anywhere" / "a.sql", "changed")
    assert _current(project) is False


def test_an_edit_in_a_local_package_folder_makes_it_stale(
    project: DbtProject, tmp_path: Path
) -> None:
    package = tmp_path.parent / f"{tmp_path.name}-crm"  # `local: ../crm`, outside the project
    _write(package / "dbt_project.yml", "name: crm")
    _write(package / "models" / "c.sql")
    _parsed(project, [package])
    assert _current(project, [package]) is True
    _write(package / "models" / "c.sql", "changed")
    assert _current(project, [package]) is False


def test_a_variable_the_files_read_is_part_of_the_key(
    project: DbtProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOP_SCHEMA", "one")
    _write(project.path / "models" / "a.sql", "select '{{ env_var(\"SHOP_SCHEMA\") }}'")
    _parsed(project)
    assert _current(project) is True
    monkeypatch.setenv("SHOP_SCHEMA", "two")
    assert _current(project) is False


def test_a_secret_the_files_read_is_hashed_as_its_placeholder(
    project: DbtProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The parse sees a fixed placeholder: a rotated secret changes nothing dbt writes."""
    monkeypatch.setenv("SHOP_PASSWORD", "hunter2-hunter2")
    _write(project.path / "models" / "a.sql", "{{ env_var('SHOP_PASSWORD') }}")
    _parsed(project)
    monkeypatch.setenv("SHOP_PASSWORD", "rotated-rotated")
    assert _current(project) is True
    assert "hunter2" not in input_digest.digest_path(project).read_text()


def test_another_manifest_is_not_current(project: DbtProject) -> None:
    """A manifest some other dbt run wrote (its own invocation id) was not parsed from the
    recorded inputs by floe-ci's profile."""
    _manifest(project, "run-2")
    assert _current(project) is False


def test_no_manifest_or_no_record_is_not_current(project: DbtProject) -> None:
    input_digest.digest_path(project).unlink()
    assert _current(project) is False
    _parsed(project)
    project.manifest_path.unlink()
    assert _current(project) is False


@pytest.mark.parametrize("kind", ["link to the real record", "fifo", "link to /dev/zero", "folder"])
def test_a_record_that_is_not_a_regular_file_of_its_own_is_not_read(
    project: DbtProject, tmp_path: Path, kind: str
) -> None:
    """The record lives in floe-ci's state, which a checkout may hold anything in: a FIFO
    would block the check forever, /dev/zero would fill memory, a link may point anywhere.
    Each reads as no record (the check parses again), promptly."""
    record = input_digest.digest_path(project)
    real = tmp_path / "elsewhere.json"
    real.write_bytes(record.read_bytes())
    record.unlink()
    if kind == "link to the real record":
        record.symlink_to(real)
    elif kind == "fifo":
        os.mkfifo(record)
    elif kind == "link to /dev/zero":
        record.symlink_to("/dev/zero")
    else:
        record.mkdir()
    assert input_digest.stored(project) is None
    assert _current(project) is False


def test_an_unchanged_stat_skips_reading_the_content(
    project: DbtProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unread(*args: object) -> object:
        raise AssertionError("content read although no file's stat changed")

    monkeypatch.setattr(input_digest, "_hash_file", unread)
    assert _current(project) is True


def test_only_the_files_whose_stat_changed_are_read(
    project: DbtProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After an edit only that file is read; after a fresh checkout every file, once."""
    _write(project.path / "models" / "a.sql", "edited")
    read: list[str] = []
    real = input_digest._hash_file

    def counting(path: str) -> tuple[str, list[str]]:
        read.append(os.path.relpath(path, project.path))
        return real(path)

    monkeypatch.setattr(input_digest, "_hash_file", counting)
    assert _current(project) is False
    assert read == ["models/a.sql"]


def test_a_changed_stat_reads_the_content(project: DbtProject) -> None:
    """Same size and time, other bytes (a checkout can do that): the content decides."""
    path = project.path / "models" / "a.sql"
    before = path.stat()
    path.write_text("y")  # same size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert _current(project) is False  # the ctime moved, so the bytes were read
