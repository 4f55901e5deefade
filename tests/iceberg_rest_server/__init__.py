"""A local Iceberg REST catalog (a Polaris stand-in) held to the Iceberg REST OpenAPI
description: every request and every answer is validated with openapi-core."""

from tests.iceberg_rest_server.server import IcebergRestServer

__all__ = ["IcebergRestServer"]
