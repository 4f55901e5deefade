"""A PolarisClient from floe.yaml's `catalog` block (or the compiled artifacts that carry it)."""

from __future__ import annotations

from collections.abc import Mapping

from floe_ci.artifacts import CompiledArtifacts
from floe_ci.errors import FloeUsageError
from floe_ci.integrations.iceberg.catalog import rest_connection
from floe_ci.integrations.polaris.client import PolarisClient
from floe_ci.spec.models import CatalogConfig, CatalogType


def create_catalog_client(
    source: CompiledArtifacts | CatalogConfig,
    environ: Mapping[str, str] | None = None,
) -> PolarisClient:
    """Connect to the configured REST catalog; the credential is read from `environ`."""
    config = source.catalog if isinstance(source, CompiledArtifacts) else source
    if config is None:
        raise FloeUsageError.single(
            "floe.yaml",
            "no `catalog` block: floe.yaml names no Iceberg catalog",
            hint="add `catalog: {type: polaris, uri: https://..., warehouse: ...}`",
        )
    if config.type == CatalogType.SQLITE:
        raise FloeUsageError.single(
            "floe.yaml",
            "`catalog.type` is sqlite, a local catalog without a REST server",
            hint="use type `polaris` or `rest` for a catalog server; open a sqlite catalog with "
            "floe_ci.integrations.iceberg.catalog_from_config",
        )
    return PolarisClient(config.uri, **rest_connection(config, environ))
