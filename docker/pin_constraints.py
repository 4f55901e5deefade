"""Print the exact versions of floe-ci's dependencies (the core and every extra but `dev`)
installed in this environment, or with `--dev` those only the `dev` extra brings.

The Docker image installs floe-ci and the extras it needs with the first, so it runs what the
tests ran (a constraint on a package the image does not install is ignored); `.ci/setup`
installs the test environment with both, so CI installs the same versions every day instead
of whatever the registry serves that morning:
    .venv/bin/python docker/pin_constraints.py > docker/constraints.txt
    .venv/bin/python docker/pin_constraints.py --dev > .ci/constraints-dev.txt
"""

from __future__ import annotations

import sys
from importlib import metadata

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

HEADER = (
    "# floe-ci's dependencies (core and extras) at the versions the tests ran with (the image).\n"
    "# Regenerate: .venv/bin/python docker/pin_constraints.py > docker/constraints.txt\n"
)
DEV_HEADER = (
    "# What only floe-ci's `dev` extra brings (test and lint tools), at the versions CI ran.\n"
    "# Regenerate: .venv/bin/python docker/pin_constraints.py --dev > .ci/constraints-dev.txt\n"
)


def runtime_pins(
    root: str = "floe-ci", extras: tuple[str, ...] = ("all",)
) -> dict[str, tuple[str, str]]:
    """canonical name -> (distribution name, version) for `root[extras]`'s dependency closure."""
    pins: dict[str, tuple[str, str]] = {}
    pending: list[tuple[str, tuple[str, ...]]] = [(root, extras)]
    expanded: set[tuple[str, tuple[str, ...]]] = set()
    while pending:
        name, extras = pending.pop()
        key = canonicalize_name(name)
        if (key, extras) in expanded:
            continue
        expanded.add((key, extras))
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # an optional dependency for another platform or Python
        pins[key] = (dist.metadata["Name"], dist.version)
        environments = [{"extra": extra} for extra in extras] or [{"extra": ""}]
        for raw in dist.requires or []:
            requirement = Requirement(raw)
            marker = requirement.marker
            if marker is None or any(marker.evaluate(env) for env in environments):
                pending.append((requirement.name, tuple(sorted(requirement.extras))))
    pins.pop(canonicalize_name(root), None)
    return pins


def _text(header: str, pins: dict[str, tuple[str, str]]) -> str:
    lines = [f"{name}=={version}" for _, (name, version) in sorted(pins.items())]
    return header + "\n".join(lines) + "\n"


def constraints_text() -> str:
    return _text(HEADER, runtime_pins())


def dev_constraints_text() -> str:
    runtime = runtime_pins()
    dev_only = {k: v for k, v in runtime_pins(extras=("dev",)).items() if k not in runtime}
    return _text(DEV_HEADER, dev_only)


if __name__ == "__main__":
    print(dev_constraints_text() if sys.argv[1:] == ["--dev"] else constraints_text(), end="")
