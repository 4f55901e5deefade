"""A chart ready for helm: a copy with its `file://` dependencies unpacked into `charts/`.

floe-pipeline composes floe-dagster and floe-cube through `file://` dependencies. helm needs
them inside the chart's `charts/` folder; copying them there (instead of `helm dependency
build` writing into the chart) leaves the shipped charts untouched, works from a read-only
install and needs no repository index.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

from floe_ci.errors import FloeUsageError


def chart_dependencies(chart: Path) -> list[dict[str, Any]]:
    data = yaml.safe_load((chart / "Chart.yaml").read_text(encoding="utf-8")) or {}
    deps = data.get("dependencies") or []
    return [d for d in deps if isinstance(d, dict)]


def stage_chart(chart: Path, dest: Path) -> Path:
    """`chart` copied under `dest` with every `file://` dependency in its `charts/` folder."""
    staged = dest / chart.name
    if staged.exists():
        shutil.rmtree(staged)
    shutil.copytree(chart, staged, ignore=shutil.ignore_patterns("*.tgz", "Chart.lock"))
    for dep in chart_dependencies(chart):
        repository = str(dep.get("repository", ""))
        if not repository.startswith("file://"):
            continue  # a remote repository: helm resolves (or refuses) it itself
        source = (chart / repository.removeprefix("file://")).resolve()
        if not (source / "Chart.yaml").is_file():
            raise FloeUsageError.single(
                str(chart / "Chart.yaml"),
                f"dependency `{dep.get('name')}`: no chart at {repository} ({source})",
                hint="point `repository: file://...` at a folder holding Chart.yaml",
            )
        stage_chart(source, staged / "charts")
    return staged
