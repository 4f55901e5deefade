"""`floe-ci init`: copy a project template, filling in the project's name."""

from __future__ import annotations

import re
import shutil
import tempfile
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from floe_ci.errors import FloeUsageError
from floe_ci.fsutil import umask

_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
_COMMON = "_common"


def create_project(name: str, template: str, target: Path) -> list[Path]:
    """Create the project in `target`; all files appear at once or none do."""
    if not _NAME.match(name) or name.endswith(("-", "_")):
        raise FloeUsageError.single(
            name,
            "invalid project name",
            hint="use lower case letters, digits, `-` and `_`, starting with a letter "
            "(it names the Helm release and the dbt project)",
        )
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise FloeUsageError.single(
            str(target),
            "already exists and is not empty; nothing was changed",
            hint="choose another NAME or --directory",
        )
    templates = resources.files("floe_ci") / "templates"
    source = templates / template
    if not source.is_dir():
        raise FloeUsageError.single(template, f"unknown template `{template}`")
    replacements = {"__DBT_NAME__": name.replace("-", "_"), "__NAME__": name}

    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    staging.chmod(0o777 & ~umask())  # mkdtemp makes it private; a project folder is not
    try:
        written: list[Path] = []
        for tree in (templates / _COMMON, source):
            written.extend(_copy_tree(tree, staging, replacements))
        if target.exists():
            target.rmdir()  # empty, checked above
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return [target / path.relative_to(staging) for path in written]


def _copy_tree(tree: Traversable, dest: Path, replacements: dict[str, str]) -> list[Path]:
    written = []
    for entry in tree.iterdir():
        out = dest / entry.name
        if entry.is_dir():
            out.mkdir(exist_ok=True)
            written.extend(_copy_tree(entry, out, replacements))
            continue
        text = entry.read_text(encoding="utf-8")
        for placeholder, value in replacements.items():
            text = text.replace(placeholder, value)
        out.write_text(text, encoding="utf-8")
        written.append(out)
    return written
