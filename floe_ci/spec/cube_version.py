"""Which Cube a floe.yaml's `consumption.cube.version` names, and what that Cube accepts."""

from __future__ import annotations

# Cube 1.0 brought `access_policy` (member-level access by group) and cube-level `meta`;
# Cube 0.33 refuses both, so the models for it enforce those rules in `queryRewrite`.
ACCESS_POLICY_SINCE = (1, 0)


def cube_version_tuple(version: str) -> tuple[int, int]:
    """`0.33.65` -> (0, 33); the version is validated when floe.yaml is loaded."""
    major, minor = version.split(".")[:2]
    return int(major), int(minor)


def has_access_policy(version: str) -> bool:
    """True when this Cube takes `access_policy` and cube-level `meta` in its models."""
    return cube_version_tuple(version) >= ACCESS_POLICY_SINCE
