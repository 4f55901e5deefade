"""Where each package of a dbt project lives: the folder its nodes' paths are relative to.

A manifest's `original_file_path` and `patch_path` (`pkg://models/x.yml`) are relative to
the root of the package that holds the node, not to the root project. The folders:

- the root project: the folder of its dbt_project.yml;
- an installed package: a folder of `packages-install-path` (default `dbt_packages/`) with
  a dbt_project.yml, named by that file's `name:` (not the folder's name);
- a local package (`local: ../` in packages.yml, dependencies.yml or package-lock.yml): the
  folder the user edits, not the copy `dbt deps` made in `dbt_packages/` (a finding there
  would name a gitignored copy).

Usage::

    roots = package_roots(project)          # {"shop": Path(...), "dbt_utils": Path(...)}
    shown = relative_roots(roots, floe_dir)  # {"shop": ".", "hubspot": ".."} for the core
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from floe_ci.integrations.dbt.project import DbtProject

DEPENDENCY_FILES = ("packages.yml", "dependencies.yml", "package-lock.yml")


def package_roots(project: DbtProject) -> dict[str, Path]:
    """Package name -> absolute folder of its dbt_project.yml, the root project included."""
    roots: dict[str, Path] = {}
    install = project.config.get("packages-install-path") or "dbt_packages"
    installed = project.path / str(install)
    try:
        folders = sorted(p for p in installed.iterdir() if p.is_dir())
    except OSError:
        folders = []
    for folder in folders:
        name = project_name(folder)
        if name is not None:
            roots.setdefault(name, folder.resolve())
    # Local packages last: their source folder wins over the installed copy.
    for folder in local_packages(project.path):
        name = project_name(folder)
        if name is not None and name != project.name:
            roots[name] = folder.resolve()
    roots[project.name] = project.path.resolve()
    return roots


def relative_roots(roots: Mapping[str, Path], display_root: Path) -> dict[str, str]:
    """The same folders relative to `display_root` (floe.yaml's folder), POSIX, `.` for it."""
    base = display_root.resolve()
    return {name: Path(os.path.relpath(path, base)).as_posix() for name, path in roots.items()}


def package_file(
    roots: Mapping[str, Path], default: Path, node: Mapping[str, Any], relative: str
) -> Path:
    """A node's file (`relative` to its package) as an absolute path; `default` when the
    package is unknown (a manifest without package names, such as a test's)."""
    root = roots.get(str(node.get("package_name") or ""), default)
    return root / relative


def project_name(folder: Path) -> str | None:
    data = _read_yaml(folder / "dbt_project.yml")
    name = data.get("name") if isinstance(data, dict) else None
    return name if isinstance(name, str) and name else None


def local_packages(project_dir: Path) -> list[Path]:
    """Folders named by `local:` entries of the project's dependency files."""
    found: list[Path] = []
    for file_name in DEPENDENCY_FILES:
        data = _read_yaml(project_dir / file_name)
        entries = data.get("packages") if isinstance(data, dict) else None
        for entry in entries if isinstance(entries, list) else []:
            local = entry.get("local") if isinstance(entry, dict) else None
            if isinstance(local, str) and local:
                folder = (project_dir / local).resolve()
                if folder not in found and (folder / "dbt_project.yml").is_file():
                    found.append(folder)
    return found


class PackageVars:
    """The vars of each package's own dbt_project.yml (its defaults; the root project's
    `vars:` override them), by package name, each file read once: the renderer and the
    fingerprints of what it reads share one. {} for the root project (its vars are its
    config's), a package not installed, or a file without vars."""

    def __init__(self, project: DbtProject | None) -> None:
        self._project = project
        self._roots: dict[str, Path] | None = None
        self._read: dict[str, dict[str, Any]] = {}

    def __call__(self, package: str) -> dict[str, Any]:
        found = self._read.get(package)
        if found is None:
            if self._roots is None:
                self._roots = package_roots(self._project) if self._project else {}
                self._roots.pop(self._project.name if self._project else "", None)
            folder = self._roots.get(package)
            config = _read_yaml(folder / "dbt_project.yml") if folder is not None else None
            own = config.get("vars") if isinstance(config, dict) else None
            found = self._read[package] = dict(own) if isinstance(own, dict) else {}
        return found


def _read_yaml(path: Path) -> Any:
    # dbt_project.yml may hold Jinja in values; only `name:`, `packages:` and `vars:` (as
    # plain data, the renderer's defaults) are read here.
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
