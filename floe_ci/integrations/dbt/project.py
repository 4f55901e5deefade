"""Facts about a dbt project folder that need no dbt import."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from floe_ci.errors import FloeUsageError
from floe_ci.fsutil import load_located_file

# Folders dbt writes to or installs into; their contents never make a manifest stale.
_GENERATED = {"target", "dbt_packages", "dbt_modules", "logs", ".floe", "node_modules", ".venv"}
_INPUT_SUFFIXES = {".sql", ".yml", ".yaml", ".csv", ".py", ".md", ".jinja", ".j2"}


@dataclass(frozen=True)
class DbtProject:
    path: Path
    name: str
    profile: str
    target_path: str
    config: dict[str, Any]

    @property
    def manifest_path(self) -> Path:
        return self.path / self.target_path / "manifest.json"


def read_project(path: Path, display: str) -> DbtProject:
    """Read dbt_project.yml, with a located error when it is missing or unusable."""
    project_file = path / "dbt_project.yml"
    if not project_file.is_file():
        raise FloeUsageError.single(
            display,
            f"no dbt project at `{path}` (dbt_project.yml not found)",
            hint="point `transforms[].path` in floe.yaml at the folder holding dbt_project.yml",
        )
    config = load_located_file(project_file, str(project_file)).data
    if not isinstance(config, dict) or not isinstance(config.get("name"), str):
        raise FloeUsageError.single(
            str(project_file), "dbt_project.yml needs a `name:`", line=1, column=1
        )
    profile = config.get("profile") or config["name"]
    target_path = str(config.get("target-path") or "target")
    return DbtProject(path, config["name"], str(profile), target_path, config)


def input_files(project: DbtProject) -> Iterator[Path]:
    """Every file that can change what `dbt parse` produces."""
    for root, dirs, files in os.walk(project.path):
        dirs[:] = [d for d in dirs if d not in _GENERATED and not d.startswith(".")]
        if Path(root) == project.path / project.target_path:
            continue
        for name in files:
            if Path(name).suffix in _INPUT_SUFFIXES:
                yield Path(root) / name


def manifest_is_stale(project: DbtProject, local_packages: Sequence[Path] = ()) -> bool:
    """True when there is no manifest or a file of the project, or of one of its
    `local_packages` (folders the user edits, outside dbt_packages/), changed after it was
    written."""
    try:
        built = project.manifest_path.stat().st_mtime
    except FileNotFoundError:
        return True
    target = str(project.path / project.target_path)
    folders = [project.path, *(p for p in local_packages if p != project.path)]
    return any(_changed_since(str(folder), target, built) for folder in folders)


def _changed_since(folder: str, target: str, built: float) -> bool:
    """Whether a file input_files() would list was modified after `built`; walks the same
    folders as os.walk there, with os.scandir and plain strings (5,000 models: ~3x faster)."""
    subfolders = []
    try:
        entries = os.scandir(folder)
    except OSError:  # os.walk skips a folder it cannot list
        return False
    with entries:
        for entry in entries:
            name = entry.name
            if entry.is_dir():
                walked = name not in _GENERATED and not name.startswith(".")
                if walked and not entry.is_symlink():  # os.walk does not follow links
                    subfolders.append(entry.path)
            elif (
                folder != target
                and os.path.splitext(name)[1] in _INPUT_SUFFIXES
                and entry.stat().st_mtime > built
            ):
                return True
    return any(_changed_since(sub, target, built) for sub in subfolders)
