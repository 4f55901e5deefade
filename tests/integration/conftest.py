"""Fixtures shared by the rule tests: the two examples, parsed and checked once a session."""

from __future__ import annotations

import pytest

from tests.integration.rules_support import (
    EXAMPLE_FINDINGS,
    EXAMPLE_SHOP,
    ParsedProject,
    parsed_example,
)


@pytest.fixture(scope="session")
def findings_project(tmp_path_factory: pytest.TempPathFactory) -> ParsedProject:
    """examples/shop-findings, parsed and checked (every rule fires there)."""
    return parsed_example(EXAMPLE_FINDINGS, tmp_path_factory)


@pytest.fixture(scope="session")
def clean_project(tmp_path_factory: pytest.TempPathFactory) -> ParsedProject:
    """examples/shop, parsed and checked (no rule fires there)."""
    return parsed_example(EXAMPLE_SHOP, tmp_path_factory)
