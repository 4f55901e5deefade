"""Installed dbt packages for a review's base revision, whose checkout has none.

`dbt_packages/` is gitignored in nearly every project, so the base commit's worktree
(`.floe/cache/base/<sha>/`) holds only what is committed, and `dbt parse` there stops with
"run dbt deps". What the base gets, cheapest first:

1. nothing, when the base declares no packages or has them installed already (committed, or
   provided by an earlier run: a `.floe-packages` stamp says so);
2. the head's installed packages, when the base's `packages.yml` and `dependencies.yml` are
   the same as the head's, and its `package-lock.yml` too if it has one (same versions): hub and
   git packages are copied from the head's install folder; a `local:` package is linked to
   the base's own copy of its folder, since that is what the pull request changes;
3. `dbt deps` in the base worktree (a changed package list): works for local packages and
   whatever index is reachable;
4. else a usage error, raised before anything is parsed, naming the base's package file and
   the way out (`--base-manifest`).

Usage::

    how = provide_base_packages(head_project, base_project, state_dir)
    # "reused the head's installed packages" / "installed with dbt deps" / ...
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from floe_ci.confinement import confine
from floe_ci.errors import FloeUsageError
from floe_ci.integrations.dbt.packages import DEPENDENCY_FILES, local_packages, project_name
from floe_ci.integrations.dbt.parse import write_parse_profile
from floe_ci.integrations.dbt.project import DbtProject
from floe_ci.integrations.dbt.runner import DbtInvocation, invoke

STAMP = ".floe-packages"


def provide_base_packages(head: DbtProject, base: DbtProject, state_dir: Path) -> str:
    """Make `base` (a project in a review's base worktree) have its packages installed;
    returns how, in words. Raises FloeUsageError when they cannot be had."""
    if not _declares_packages(base.path):
        return "the base declares no packages"
    install = _install_folder(base)
    # copied into, deleted, or filled by `dbt deps`: never through a link out of the base
    confine(install, base.path, "the base revision's dbt packages")
    if (install / STAMP).is_file() or _has_packages(install):
        return "the base's packages are installed"
    head_install = _install_folder(head)
    if _same_declarations(head.path, base.path) and _has_packages(head_install):
        _copy_installed(head_install, install, base.path)
        return "reused the head's installed packages (same package files)"
    reason = _dbt_deps(base, state_dir)
    if reason is None and _has_packages(install):
        write_stamp(install, "installed with dbt deps")
        return "installed with dbt deps (the package files differ from the head's)"
    shown = next(
        (name for name in DEPENDENCY_FILES if (base.path / name).is_file()), DEPENDENCY_FILES[0]
    )
    raise FloeUsageError.single(
        str(base.path / shown),
        "the base revision's dbt packages are not installed, its package files differ from the "
        f"head's, and `dbt deps` could not install them: {reason or 'it installed nothing'}",
        hint="make the packages reachable for `dbt deps`, or give the base revision's manifest "
        "(`--base-manifest path/to/manifest.json`, e.g. from the main branch's last build)",
    )


def write_stamp(install: Path, how: str) -> None:
    (install / STAMP).write_text(how + "\n", encoding="utf-8")


def _install_folder(project: DbtProject) -> Path:
    return project.path / str(project.config.get("packages-install-path") or "dbt_packages")


def _declares_packages(project_dir: Path) -> bool:
    return any(True for _ in _declared_entries(project_dir))


def _declared_entries(project_dir: Path) -> Iterator[object]:
    import yaml

    for name in DEPENDENCY_FILES[:2]:  # package-lock.yml only pins what these declare
        try:
            data = yaml.safe_load((project_dir / name).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        entries = data.get("packages") if isinstance(data, dict) else None
        yield from entries if isinstance(entries, list) else []


def _has_packages(install: Path) -> bool:
    try:
        return any(
            (entry / "dbt_project.yml").is_file() for entry in install.iterdir() if entry.is_dir()
        )
    except OSError:
        return False


def _same_declarations(head_dir: Path, base_dir: Path) -> bool:
    """Whether the head's installed packages are what the base declares: the same
    `packages.yml` and `dependencies.yml`, and the same `package-lock.yml` when the base
    has one (`dbt deps` writes a lock file in a head that had none)."""
    names = [*DEPENDENCY_FILES[:2]]
    if (base_dir / "package-lock.yml").is_file():
        names.append("package-lock.yml")
    return all(_bytes(head_dir / name) == _bytes(base_dir / name) for name in names)


def _bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _copy_installed(source: Path, install: Path, base_dir: Path) -> None:
    """Copy the head's install folder for the base, with each local package linked to the
    base's own folder of it; written beside and renamed, so an interrupted copy is redone."""
    local = {project_name(folder): folder for folder in local_packages(base_dir)}
    scratch = install.with_name(install.name + ".floe-partial")
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    for entry in sorted(source.iterdir()):
        if not entry.is_dir():
            continue
        name = project_name(entry)
        if name in local:
            # relative, so that the worktree can move (a CI cache restored elsewhere)
            (scratch / entry.name).symlink_to(os.path.relpath(local[name], scratch))
        else:
            shutil.copytree(entry, scratch / entry.name, symlinks=False)
    write_stamp(scratch, f"copied from {source}")
    shutil.rmtree(install, ignore_errors=True)
    scratch.rename(install)


def _dbt_deps(project: DbtProject, state_dir: Path) -> str | None:
    """Run `dbt deps` in the project; None when it succeeded, else dbt's reason."""
    profiles = write_parse_profile(project, state_dir)
    invocation = DbtInvocation("deps", project.path, profiles, "parse", state_dir / "logs")
    outcome = invoke(invocation)
    if outcome.success:
        return None
    return outcome.error or outcome.last_log_error().strip()
