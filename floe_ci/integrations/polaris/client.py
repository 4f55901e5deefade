"""A client for Apache Polaris, or any Iceberg REST catalog, over pyiceberg's RestCatalog.

Namespaces are written with dots (`sales.eu`); nested ones are listed the same way. A server
that cannot be reached, or that refuses the credential, is a configuration problem
(FloeUsageError), reported without the credential.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING

from floe_ci.errors import FloeUsageError

if TYPE_CHECKING:
    from pyiceberg.catalog.rest import RestCatalog
    from pyiceberg.table import Table

# Polaris grants a principal its roles only when the token asks for them.
POLARIS_SCOPE = "PRINCIPAL_ROLE:ALL"


@contextmanager
def catalog_errors(uri: str, secret_hint: str | None = None) -> Iterator[None]:
    """Turn the catalog's refusals into FloeUsageError (exit 2) with what to fix; the
    credential is never shown, and no raw RESTError reaches the user. A missing or existing
    namespace or table stays pyiceberg's own exception (NoSuchTableError, ...), which
    callers catch."""
    from pyiceberg.exceptions import (
        ForbiddenError,
        OAuthError,
        RESTError,
        UnauthorizedError,
    )
    from requests.exceptions import ConnectionError as RequestsConnectionError
    from requests.exceptions import Timeout

    where = f"catalog at {uri}"
    credential = f"the credential in {secret_hint}" if secret_hint else "a credential"
    try:
        yield
    except (RequestsConnectionError, Timeout) as exc:
        raise FloeUsageError.single(
            "floe.yaml",
            f"cannot reach the {where} ({type(exc).__name__})",
            hint="check `catalog.uri` and that the server is running",
        ) from None
    except (UnauthorizedError, ForbiddenError, OAuthError) as exc:
        raise FloeUsageError.single(
            "floe.yaml",
            f"the {where} refused {credential}: {_reason(exc)}",
            hint=f"check {credential} (polaris: `client_id:client_secret` of a principal "
            f"granted {POLARIS_SCOPE})",
        ) from None
    except RESTError as exc:
        # e.g. a 404 from the token endpoint: the URI is not the catalog's API root.
        raise FloeUsageError.single(
            "floe.yaml",
            f"the {where} answered with an error: {_reason(exc)}",
            hint="check `catalog.uri` (Polaris: https://HOST/api/catalog) and `catalog.prefix`",
        ) from None


def _reason(exc: BaseException) -> str:
    """The server's message, on one line and short (it never holds the credential)."""
    text = " ".join(str(exc).split())[:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def open_rest_catalog(
    uri: str,
    *,
    credential: str | None = None,
    token: str | None = None,
    warehouse: str | None = None,
    prefix: str | None = None,
    name: str = "polaris",
    secret_hint: str | None = None,
) -> RestCatalog:
    """A RestCatalog; its constructor already asks the server for /v1/config."""
    from floe_ci.integrations.extras import require_extra

    require_extra("pyiceberg", "iceberg", "the Polaris/REST catalog")
    from pyiceberg.catalog.rest import RestCatalog

    properties: dict[str, str] = {"uri": uri}
    if credential:
        properties["credential"] = credential
        properties["scope"] = POLARIS_SCOPE
        # Polaris serves the token endpoint of the REST spec under the catalog's root;
        # pyiceberg's fallback glues `oauth/tokens` onto the URI without a `/`.
        properties["oauth2-server-uri"] = uri.rstrip("/") + "/v1/oauth/tokens"
    if token:
        properties["token"] = token
    if warehouse:
        properties["warehouse"] = warehouse
    if prefix:
        properties["prefix"] = prefix
    with catalog_errors(uri, secret_hint):
        return RestCatalog(name, **properties)


def _namespace(value: str) -> tuple[str, ...]:
    parts = tuple(value.split("."))
    if not value or any(not part for part in parts):
        raise FloeUsageError.single(
            "namespace",
            f"`{value}` is not a namespace name",
            hint="use names separated by dots, e.g. `sales` or `sales.eu`",
        )
    return parts


class PolarisClient:
    """Namespace management on a Polaris (or other Iceberg REST) catalog."""

    def __init__(
        self,
        uri: str,
        credential: str | None = None,
        warehouse: str | None = None,
        prefix: str | None = None,
        *,
        token: str | None = None,
        secret_hint: str | None = None,
    ) -> None:
        if credential and token:
            raise FloeUsageError.single(
                "catalog", "give either an OAuth2 credential or a bearer token, not both"
            )
        self.uri = uri
        self._secret_hint = secret_hint
        self.catalog = open_rest_catalog(
            uri,
            credential=credential,
            token=token,
            warehouse=warehouse,
            prefix=prefix,
            secret_hint=secret_hint,
        )

    def create_namespace(
        self,
        namespace: str,
        properties: Mapping[str, str] | None = None,
        *,
        exist_ok: bool = False,
    ) -> bool:
        """Create a namespace; True if created, False if it existed and `exist_ok`."""
        from pyiceberg.exceptions import NamespaceAlreadyExistsError

        with catalog_errors(self.uri, self._secret_hint):
            try:
                self.catalog.create_namespace(_namespace(namespace), dict(properties or {}))
            except NamespaceAlreadyExistsError:
                if not exist_ok:
                    raise
                return False
        return True

    def list_namespaces(self, parent: str | None = None, *, recursive: bool = False) -> list[str]:
        """Namespaces under `parent` (top level by default), dotted; `recursive` walks down."""
        above = _namespace(parent) if parent else ()
        with catalog_errors(self.uri, self._secret_hint):
            found = self.catalog.list_namespaces(above)
        # Some servers answer with every descendant; keep the direct children only.
        children = {
            ".".join(ns) for ns in found if len(ns) == len(above) + 1 and ns[: len(above)] == above
        }
        if recursive:
            for name in list(children):
                children.update(self.list_namespaces(name, recursive=True))
        return sorted(children)

    def namespace_exists(self, namespace: str) -> bool:
        with catalog_errors(self.uri, self._secret_hint):
            return bool(self.catalog.namespace_exists(_namespace(namespace)))

    def namespace_properties(self, namespace: str) -> dict[str, str]:
        with catalog_errors(self.uri, self._secret_hint):
            return dict(self.catalog.load_namespace_properties(_namespace(namespace)))

    def register_table(self, namespace: str, name: str, metadata_location: str) -> Table:
        """Register an existing Iceberg table from its metadata file (Polaris'
        `POST .../namespaces/{ns}/register`); the loaded table, with vended credentials."""
        with catalog_errors(self.uri, self._secret_hint):
            table: Table = self.catalog.register_table(
                (*_namespace(namespace), name), metadata_location
            )
        return table

    def load_table(self, namespace: str, name: str) -> Table:
        """Load a table. The request asks for vended credentials (`X-Iceberg-Access-Delegation:
        vended-credentials`); the storage credentials the catalog returns go into the table's
        FileIO, which reads with them. They are never printed (see `storage_credential_keys`)."""
        with catalog_errors(self.uri, self._secret_hint):
            table: Table = self.catalog.load_table((*_namespace(namespace), name))
        return table

    def drop_namespace(self, namespace: str, *, missing_ok: bool = False) -> bool:
        """Drop an empty namespace; True if dropped, False if absent and `missing_ok`."""
        from pyiceberg.exceptions import NoSuchNamespaceError

        with catalog_errors(self.uri, self._secret_hint):
            try:
                self.catalog.drop_namespace(_namespace(namespace))
            except NoSuchNamespaceError:
                if not missing_ok:
                    raise
                return False
        return True


_CREDENTIAL_KEYS = ("access-key", "secret", "token", "session", "sas", "key-id", "password")


def storage_credential_keys(table: Table) -> list[str]:
    """The names (never the values) of the storage credentials the table's FileIO holds."""
    return sorted(k for k in table.io.properties if any(p in k for p in _CREDENTIAL_KEYS))
