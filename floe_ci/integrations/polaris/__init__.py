"""Apache Polaris / Iceberg REST catalog: namespaces over pyiceberg's RestCatalog (seed 7).

pyiceberg is imported only when a client is created, never at import time.
"""

from floe_ci.integrations.polaris.client import PolarisClient
from floe_ci.integrations.polaris.factory import create_catalog_client

__all__ = ["PolarisClient", "create_catalog_client"]
