"""The secret values a deploy must never show, and the mask applied to what it prints.

Masking is for display only: what helm renders is parsed, written and diffed as it is (it
holds secret NAMES, never values), and only the text printed to the console or the job
summary is masked. Masking parsed text broke YAML (`floe` -> `***` is a YAML alias).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from floe_ci.artifacts import CompiledArtifacts

MASK = "***"
# Shorter values are not credentials worth hiding, and masking them would garble every line.
MIN_MASKED_LENGTH = 4


@dataclass(frozen=True)
class SecretMask:
    """Replaces every occurrence of each secret value, longest first (as GitHub's log masking)."""

    values: tuple[str, ...] = ()

    @classmethod
    def of(cls, values: Iterable[str]) -> SecretMask:
        kept = {v for v in values if len(v) >= MIN_MASKED_LENGTH}
        return cls(tuple(sorted(kept, key=lambda v: (-len(v), v))))

    def __call__(self, text: str) -> str:
        for value in self.values:
            text = text.replace(value, MASK)
        return text


def secret_env_names(artifacts: CompiledArtifacts) -> set[str]:
    """The environment variables floe.yaml names as secrets (and the CI kubeconfig)."""
    from floe_ci.integrations.dbt.profiles import credential_env_vars

    names = set(credential_env_vars(artifacts).values()) | {"KUBECONFIG_DATA"}
    cube = artifacts.consumption.cube
    if cube and cube.api_secret_ref:
        names.add(cube.api_secret_ref)
    if artifacts.catalog is not None:
        from floe_ci.integrations.iceberg.catalog import credential_env_var

        catalog_var = credential_env_var(artifacts.catalog)
        if catalog_var:
            names.add(catalog_var)
    return names


def deploy_mask(
    artifacts: CompiledArtifacts, environ: Mapping[str, str] | None = None
) -> SecretMask:
    env = os.environ if environ is None else environ
    return SecretMask.of(env[name] for name in sorted(secret_env_names(artifacts)) if env.get(name))
