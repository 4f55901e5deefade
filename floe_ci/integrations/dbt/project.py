"""Facts about a dbt project folder that need no dbt import."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from floe_ci.errors import FloeUsageError
from floe_ci.fsutil import load_located_file


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
