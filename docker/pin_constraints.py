"""Print the exact versions of floe-ci's dependencies (the core and every extra but `dev`)
installed in this environment.

The Docker image installs floe-ci and the extras it needs with these constraints, so it runs
what the tests ran (a constraint on a package the image does not install is ignored):
    .venv/bin/python docker/pin_constraints.py > docker/constraints.txt
"""

from __future__ import annotations

from importlib import metadata

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

HEADER = (
    "# floe-ci's dependencies (core and extras) at the versions the tests ran with (the image).\n"
    "# Regenerate: .venv/bin/python docker/pin_constraints.py > docker/constraints.txt\n"
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


def constraints_text() -> str:
    lines = [f"{name}=={version}" for _, (name, version) in sorted(runtime_pins().items())]
    return HEADER + "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(constraints_text(), end="")
