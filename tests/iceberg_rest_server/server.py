"""An Iceberg REST catalog server for tests, checked against the Iceberg REST OpenAPI
description (`../shared/specs/iceberg-rest-catalog-open-api.yaml`, Apache-2.0).

What lakana-server lacks and Polaris does: the OAuth2 client-credentials token endpoint
(`POST /v1/oauth/tokens`, scope `PRINCIPAL_ROLE:ALL` required), table registration from a
metadata file (`POST .../register`) and credential vending (`X-Iceberg-Access-Delegation:
vended-credentials` -> `storage-credentials` in the load-table answer). Every request and
answer is validated; `violations` lists what did not conform, and tests assert it is empty.
"""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import yaml
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

from tests.conftest import REPO_ROOT

SPEC = REPO_ROOT.parent / "shared" / "specs" / "iceberg-rest-catalog-open-api.yaml"
HOST_URL = "https://localhost"  # the description's default server
PREFIX = "floe"
SCOPE = "PRINCIPAL_ROLE:ALL"
VENDED = {
    "s3.access-key-id": "ASIAVENDEDKEY0000001",
    "s3.secret-access-key": "vended-secret-access-key-3141",
    "s3.session-token": "vended-session-token-2718",
}


@cache
def openapi() -> OpenAPI:
    document = _string_keys(yaml.safe_load(SPEC.read_text(encoding="utf-8")))
    return OpenAPI.from_dict(document, config=Config(spec_validator_cls=None))


def _string_keys(data: Any) -> Any:
    """YAML reads `200:` as an int; OpenAPI's response codes are strings."""
    if isinstance(data, dict):
        return {str(k): _string_keys(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_string_keys(v) for v in data]
    return data


@dataclass
class _Request:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes | None
    host_url: str = HOST_URL
    parameters: RequestParameters = field(init=False)

    def __post_init__(self) -> None:
        self.method = self.method.lower()
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(parse_qsl(self.query, keep_blank_values=True)),
            header=Headers(self.headers),
            cookie=ImmutableMultiDict(),
            path={},
        )

    @property
    def content_type(self) -> str:
        lowered = {k.lower(): v for k, v in self.headers.items()}
        return lowered.get("content-type", "").split(";")[0].strip()


@dataclass
class _Response:
    status_code: int
    data: bytes
    content_type: str
    headers: Headers


def _error(status: int, kind: str, message: str) -> tuple[int, Any]:
    return status, {"error": {"message": message, "type": kind, "code": status}}


class IcebergRestServer:
    """`with IcebergRestServer(client_id, client_secret) as server:` then `server.uri`."""

    def __init__(self, client_id: str, client_secret: str, *, token_endpoint: bool = True) -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.token_endpoint = token_endpoint
        self.tokens: set[str] = set()
        self.namespaces: dict[tuple[str, ...], dict[str, str]] = {}
        self.tables: dict[tuple[tuple[str, ...], str], str] = {}  # -> metadata location
        self.requests: list[tuple[str, str, dict[str, str], int]] = []
        self.violations: list[str] = []
        self.scopes: list[str] = []
        self._lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"catalog": self})
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self._http.server_address[1]}"

    def __enter__(self) -> IcebergRestServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.shutdown()
        self._http.server_close()

    # -- the catalog ------------------------------------------------------------------------

    def handle(
        self, method: str, path: str, headers: dict[str, str], body: bytes | None
    ) -> tuple[int, Any]:
        if path == "/v1/oauth/tokens" and method == "POST":
            return self._token(dict(parse_qsl((body or b"").decode())))
        auth = headers.get("Authorization", "")
        if path == "/v1/config" and method == "GET":
            if auth.removeprefix("Bearer ") not in self.tokens:
                return _error(401, "NotAuthorizedException", "Not authorized")
            return 200, {"defaults": {}, "overrides": {"prefix": PREFIX}}
        if auth.removeprefix("Bearer ") not in self.tokens:
            return _error(401, "NotAuthorizedException", "Not authorized")
        parts = [unquote(p) for p in path.split("/")[1:]]
        if parts[:3] != ["v1", PREFIX, "namespaces"]:
            return _error(404, "NoSuchEndpointException", f"no route for {path}")
        rest = parts[3:]
        data = json.loads(body) if body else None
        if not rest:
            if method == "GET":
                names = [list(ns) for ns in sorted(self.namespaces)]
                return 200, {"namespaces": names}
            if method == "POST":
                name = tuple(data["namespace"])
                if name in self.namespaces:
                    return _error(409, "AlreadyExistsException", "Namespace already exists")
                self.namespaces[name] = dict(data.get("properties") or {})
                return 200, {"namespace": list(name), "properties": self.namespaces[name]}
        namespace = tuple(rest[0].split("\x1f"))
        if namespace not in self.namespaces:
            return _error(404, "NoSuchNamespaceException", f"Namespace does not exist: {rest[0]}")
        if rest[1:] == ["register"] and method == "POST":
            key = (namespace, str(data["name"]))
            if key in self.tables:
                return _error(409, "AlreadyExistsException", "Table already exists")
            self.tables[key] = str(data["metadata-location"])
            return 200, self._load(key, headers)
        if len(rest) == 3 and rest[1] == "tables" and method in ("GET", "HEAD"):
            key = (namespace, rest[2])
            if key not in self.tables:
                return _error(404, "NoSuchTableException", f"Table does not exist: {rest[2]}")
            return 200, self._load(key, headers) if method == "GET" else None
        return _error(404, "NoSuchEndpointException", f"no route for {method} {path}")

    def _token(self, form: dict[str, str]) -> tuple[int, Any]:
        if not self.token_endpoint:
            return 404, {"error": {"message": "Not Found", "type": "NotFound", "code": 404}}
        self.scopes.append(form.get("scope", ""))
        if form.get("grant_type") != "client_credentials":
            return 400, {"error": "unsupported_grant_type"}
        if (form.get("client_id"), form.get("client_secret")) != (
            self.client_id,
            self.client_secret,
        ):
            return 401, {"error": "invalid_client", "error_description": "unknown client"}
        if form.get("scope") != SCOPE:
            return 400, {"error": "invalid_scope", "error_description": f"need {SCOPE}"}
        token = secrets.token_urlsafe(24)
        self.tokens.add(token)
        return 200, {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": 3600,
            "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
        }

    def _load(self, key: tuple[tuple[str, ...], str], headers: dict[str, str]) -> dict[str, Any]:
        location = self.tables[key]
        metadata = json.loads(Path(location.removeprefix("file://")).read_text())
        answer: dict[str, Any] = {"metadata-location": location, "metadata": metadata, "config": {}}
        delegation = headers.get("X-Iceberg-Access-Delegation", "")
        if "vended-credentials" in delegation.split(","):
            answer["storage-credentials"] = [{"prefix": metadata["location"], "config": VENDED}]
        return answer


class _Handler(BaseHTTPRequestHandler):
    catalog: IcebergRestServer

    def log_message(self, format: str, *args: Any) -> None:
        """No access log on stderr: the tests read what the server validated instead."""

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _serve(self) -> None:
        server = self.catalog
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else None
        headers = dict(self.headers.items())
        request = _Request(self.command, split.path, split.query, headers, raw)
        spec = openapi()
        problems = [
            f"{self.command} {split.path}: {type(e).__name__}: {str(e)[:300]}"
            for e in spec.unmarshal_request(request).errors
        ]
        with server._lock:
            status, body = server.handle(self.command, split.path, headers, raw)
            data = b"" if body is None else json.dumps(body).encode()
            response = _Response(status, data, "application/json", Headers({}))
            problems += [
                f"answer to {self.command} {split.path} ({status}): {type(e).__name__}: "
                f"{str(e)[:300]} {getattr(e, '__cause__', '')}"[:600]
                for e in spec.unmarshal_response(request, response).errors
            ]
            server.violations.extend(problems)
            server.requests.append((self.command, split.path, headers, status))
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
