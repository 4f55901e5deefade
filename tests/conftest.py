"""Shared fixtures: paths to the bundled example and fresh copies of it to modify."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

# Session fixtures shared by several modules live here so that each starts once.
from tests.fixtures.postgres import postgres_server  # noqa: F401

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_SHOP = REPO_ROOT / "examples" / "shop"

# dbt must never reach the network from the test suite.
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")

_IGNORED = shutil.ignore_patterns(
    "target", "logs", ".floe", "*.duckdb", "*.duckdb.wal", ".user.yml"
)

# Where floe-ci parses a project (relative to floe.yaml's folder): never the user's target/.
PARSED_MANIFEST = Path(".floe", "cache", "parse-target", "manifest.json")


def copy_example(dest: Path, source: Path = EXAMPLE_SHOP) -> Path:
    """A private copy of an example project, without generated files."""
    shutil.copytree(source, dest, ignore=_IGNORED)
    return dest


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    """A fresh copy of examples/shop; tests may change it freely."""
    return copy_example(tmp_path / "shop")


@pytest.fixture(scope="session")
def parsed_shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of examples/shop with its manifest already parsed (shared, read-only)."""
    from floe_ci.app.compile import compile_pipeline

    project = copy_example(tmp_path_factory.mktemp("parsed") / "shop")
    compile_pipeline(project / "floe.yaml")
    return project
