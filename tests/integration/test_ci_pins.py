"""CI installs pinned trees, not what a registry serves that day: the Python test tools are
pinned in .ci/constraints-dev.txt (the core and extras in docker/constraints.txt), the npm
tools (Cube's compiler and the Cube 0.33 server) by the locks under .ci/tools/npm/. A registry
here once listed a version it did not serve, and resolving Cube's ranges afresh failed."""

from __future__ import annotations

import importlib.util
import json
import tomllib
from types import ModuleType

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.github_server.material import REPO_ROOT

pytestmark = pytest.mark.integration
NPM_TREES = REPO_ROOT / ".ci" / "tools" / "npm"


def _pins(name: str) -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (REPO_ROOT / name).read_text().splitlines():
        if line and not line.startswith("#"):
            package, _, version = line.partition("==")
            assert version, f"{name}: {line!r} is not NAME==VERSION"
            pins[canonicalize_name(package)] = version
    return pins


def test_every_dev_tool_is_pinned_within_pyprojects_range() -> None:
    dev = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]["dev"]
    # A dev tool the core also needs (jsonschema) is pinned with the core.
    pins = _pins("docker/constraints.txt") | _pins(".ci/constraints-dev.txt")
    for raw in dev:
        requirement = Requirement(raw)
        version = pins.get(canonicalize_name(requirement.name))
        assert version is not None, f"{requirement.name} (dev) is pinned in neither file"
        assert requirement.specifier.contains(version), f"{requirement.name}=={version} vs {raw}"


def _pin_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "pin_constraints", REPO_ROOT / "docker" / "pin_constraints.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_package_this_environment_installed_for_floe_ci_is_pinned() -> None:
    # .ci/setup installs with both files: a dependency that neither pins (one a new release
    # brought in) would be whatever the registry serves that day.
    installed = _pin_script().runtime_pins(extras=("all", "dev"))
    pins = _pins("docker/constraints.txt") | _pins(".ci/constraints-dev.txt")
    unpinned = sorted(set(installed) - set(pins))
    assert not unpinned, f"pinned in neither file: {unpinned}; regenerate (README, Development)"


def test_the_two_constraint_files_never_pin_one_package_twice() -> None:
    runtime, dev = _pins("docker/constraints.txt"), _pins(".ci/constraints-dev.txt")
    assert not set(runtime) & set(dev), "a package pinned in both files: regenerate both"


def test_setup_installs_with_both_constraint_files_and_a_pinned_pip() -> None:
    setup = (REPO_ROOT / ".ci" / "setup").read_text()
    assert "--constraint docker/constraints.txt --constraint .ci/constraints-dev.txt" in setup
    assert '"pip==$PIP_VERSION"' in setup and "--upgrade pip" not in setup


@pytest.mark.parametrize("tree", ["cube", "cube-0.33"])
def test_each_npm_tree_is_locked_at_its_exact_versions(tree: str) -> None:
    package = json.loads((NPM_TREES / tree / "package.json").read_text())
    lock = json.loads((NPM_TREES / tree / "package-lock.json").read_text())
    wanted = package["dependencies"]
    assert lock["packages"][""]["dependencies"] == wanted, "package.json and its lock differ"
    for name, version in wanted.items():
        assert version[0].isdigit(), f"{tree}: {name} {version!r} is a range, not a version"
        assert lock["packages"][f"node_modules/{name}"]["version"] == version
    script = "cube.sh" if tree == "cube" else "cube-server.sh"
    assert f"install_npm_tree {tree} " in (REPO_ROOT / ".ci" / "tools" / script).read_text()
