"""The action's files pass the linters GitHub users run: actionlint on the example workflows
(which use the action locally, so actionlint also reads action.yml and checks every `with:`
input against it) and hadolint on the Dockerfile. Both tools are real binaries installed by
.ci/tools/github.sh and .ci/setup; a missing tool fails the test."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from tests.github_server.material import INSTALL_HINT, REPO_ROOT, TOOLS_DIR

pytestmark = pytest.mark.integration
ACTIONLINT = TOOLS_DIR / "bin" / "actionlint"
HADOLINT = Path(sys.executable).parent / "hadolint"
WORKFLOWS = REPO_ROOT / "tests" / "data" / "workflows"
ACTION_REF = "floe/action@v1"


def _tool(path: Path) -> str:
    assert path.exists(), f"{path} is missing: {INSTALL_HINT}"
    return str(path)


def _repository_using_the_local_action(root: Path, workflows: dict[str, str]) -> Path:
    """A checkout with our action.yml at its root and workflows that use it as `./`."""
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    shutil.copy(REPO_ROOT / "action.yml", root / "action.yml")
    shutil.copy(REPO_ROOT / "Dockerfile", root / "Dockerfile")
    folder = root / ".github" / "workflows"
    folder.mkdir(parents=True)
    for name, text in workflows.items():
        (folder / name).write_text(text.replace(ACTION_REF, "./"))
    return root


def _actionlint(root: Path) -> subprocess.CompletedProcess[str]:
    shellcheck = shutil.which("shellcheck")
    assert shellcheck, f"shellcheck is missing: {INSTALL_HINT}"
    return subprocess.run(
        [_tool(ACTIONLINT), "-oneline", "-shellcheck", shellcheck, "-pyflakes", ""],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _examples() -> dict[str, str]:
    files = {p.name: p.read_text() for p in sorted(WORKFLOWS.glob("*.yml"))}
    assert len(files) >= 5
    return files


def test_actionlint_passes_on_the_example_workflows_and_action_yml(tmp_path: Path) -> None:
    done = _actionlint(_repository_using_the_local_action(tmp_path, _examples()))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == ""


def test_actionlint_catches_a_wrong_input_and_a_broken_action_yml(tmp_path: Path) -> None:
    broken = _examples()["floe-sarif.yml"].replace("fail-on: never", "fail_on: never")
    root = _repository_using_the_local_action(tmp_path, {"floe-sarif.yml": broken})
    done = _actionlint(root)
    assert done.returncode == 1
    assert 'input "fail_on" is not defined in action "floe-ci"' in done.stdout

    action = root / "action.yml"
    action.write_text(action.read_text().replace("  using: docker", "  using: dockerr"))
    done = _actionlint(root)
    assert done.returncode == 1 and "dockerr" in done.stdout


def test_hadolint_passes_on_the_dockerfile() -> None:
    done = subprocess.run(
        [_tool(HADOLINT), str(REPO_ROOT / "Dockerfile")], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_hadolint_flags_an_unpinned_image(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM python:latest\nRUN pip install floe-ci\n")
    done = subprocess.run([_tool(HADOLINT), str(dockerfile)], capture_output=True, text=True)
    assert done.returncode == 1
    assert "DL3007" in done.stdout and "DL3013" in done.stdout


def test_action_yml_matches_what_the_entry_point_reads_and_writes() -> None:
    action = yaml.safe_load((REPO_ROOT / "action.yml").read_text())
    # A prebuilt image, no args: no shell between the runner and `floe-ci action`.
    assert set(action["runs"]) == {"using", "image"} and action["runs"]["using"] == "docker"
    assert re.fullmatch(
        r"docker://ghcr\.io/[\w.-]+/floe-ci(:[\w.-]+|@sha256:[0-9a-f]{64})", action["runs"]["image"]
    )
    inputs = (REPO_ROOT / "floe_ci" / "integrations" / "github" / "inputs.py").read_text()
    read = set(re.findall(r'action_input\(env, "([a-z-]+)"', inputs))
    assert read == set(action["inputs"])
    source = (REPO_ROOT / "floe_ci" / "app" / "action.py").read_text()
    written = set(re.findall(r'^\s+"([a-z-]+)": ', source, re.M))
    assert set(action["outputs"]) <= written
    dockerfile = (REPO_ROOT / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["floe-ci", "action"]' in dockerfile
    assert re.search(r"^USER (?!root|0\b)\S+", dockerfile, re.M)


def test_the_readme_shows_the_linted_workflows() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme.split("<!-- section:github -->")[1].split("<!-- /section:github -->")[0]
    for name, text in _examples().items():
        assert text.strip() in section, f"README's GitHub section lacks {name} as linted"


def test_the_image_pins_every_dependency_within_pyprojects_ranges() -> None:
    # Not an equality with this .venv: a developer's may predate the last pin (.ci/setup
    # installs with these constraints only when the pins or pyproject.toml changed).
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    pinned = {}
    for line in (REPO_ROOT / "docker" / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            pinned[canonicalize_name(name)] = version
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    checked = 0
    extras = [
        d for name, deps in project["optional-dependencies"].items() if name != "dev" for d in deps
    ]
    for raw in [*project["dependencies"], *extras]:
        if raw.startswith("floe-ci["):  # an extra naming other extras
            continue
        requirement = Requirement(raw)
        version = pinned.get(canonicalize_name(requirement.name))
        if version is None:  # a dependency added since the last pin: pip resolves it
            continue
        assert requirement.specifier.contains(version), f"{requirement.name}=={version} vs {raw}"
        checked += 1
    assert checked >= 15 and {"pygithub", "dbt-core", "click"} <= set(pinned)
    assert "--constraint docker/constraints.txt" in (REPO_ROOT / "Dockerfile").read_text()
