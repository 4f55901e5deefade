"""Open the Iceberg catalog that floe.yaml's `catalog` block describes.

sqlite is pyiceberg's SqlCatalog over a local file (development and tests); rest and polaris
are Iceberg REST catalog servers reached through pyiceberg's RestCatalog. The credential is
never in floe.yaml: `credential_secret_ref` names it, and its value is read from the
environment only here, at run time.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from floe_ci.errors import FloeUsageError
from floe_ci.integrations.dbt.profiles import env_prefix
from floe_ci.spec.models import CatalogConfig, CatalogType

if TYPE_CHECKING:
    from pyiceberg.catalog import Catalog

CONFIG_FILE = "floe.yaml"


def credential_env_var(config: CatalogConfig) -> str | None:
    """The environment variable holding the credential (`polaris-creds` -> POLARIS_CREDS)."""
    ref = config.credential_secret_ref
    return env_prefix(ref) if ref else None


def resolve_credential(
    config: CatalogConfig, environ: Mapping[str, str] | None = None
) -> str | None:
    """The credential's value from the environment; a named but unset variable is an error."""
    name = credential_env_var(config)
    if name is None:
        return None
    value = (os.environ if environ is None else environ).get(name)
    if not value:
        raise FloeUsageError.single(
            CONFIG_FILE,
            f"`catalog.credential_secret_ref` names {name}, which is not set in the environment",
            hint=f"export {name} (polaris: `client_id:client_secret`; rest: a bearer token)",
        )
    return value


def rest_connection(
    config: CatalogConfig, environ: Mapping[str, str] | None = None
) -> dict[str, str | None]:
    """Keyword arguments for a REST catalog connection. Polaris signs in with OAuth2 client
    credentials (`credential`); other REST servers take a bearer token (`token`)."""
    secret = resolve_credential(config, environ)
    polaris = config.type == CatalogType.POLARIS
    return {
        "credential": secret if polaris else None,
        "token": None if polaris else secret,
        "warehouse": config.warehouse,
        "prefix": config.prefix,
        "secret_hint": credential_env_var(config),
    }


def sqlite_paths(config: CatalogConfig, base_dir: Path) -> tuple[Path, Path]:
    """The catalog database file and the warehouse folder, resolved against floe.yaml's folder."""
    uri = config.uri.removeprefix("sqlite:///")
    database = Path(uri) if Path(uri).is_absolute() else base_dir / uri
    if config.warehouse:
        warehouse = Path(config.warehouse.removeprefix("file://"))
        warehouse = warehouse if warehouse.is_absolute() else base_dir / warehouse
    else:
        warehouse = database.parent / "warehouse"
    return database.resolve(), warehouse.resolve()


def catalog_from_config(
    config: CatalogConfig,
    *,
    base_dir: Path | None = None,
    environ: Mapping[str, str] | None = None,
    name: str = "floe",
) -> Catalog:
    """A pyiceberg Catalog for `config`; relative sqlite paths are relative to `base_dir`."""
    from floe_ci.integrations.extras import require_extra

    require_extra("pyiceberg", "iceberg", "the Iceberg catalog")
    if config.type == CatalogType.SQLITE:
        from pyiceberg.catalog.sql import SqlCatalog

        database, warehouse = sqlite_paths(config, base_dir or Path.cwd())
        database.parent.mkdir(parents=True, exist_ok=True)
        warehouse.mkdir(parents=True, exist_ok=True)
        return SqlCatalog(name, uri=f"sqlite:///{database}", warehouse=warehouse.as_uri())

    from floe_ci.integrations.polaris.client import open_rest_catalog

    return open_rest_catalog(config.uri, name=name, **rest_connection(config, environ))
