"""Validation of one HTTP exchange against GitHub's OpenAPI description with openapi-core."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

from tests.github_server.material import load_openapi

# The description's only server; requests are matched against paths below it.
GITHUB_HOST_URL = "https://api.github.com"


@dataclass
class ExchangeRequest:
    """openapi-core's Request protocol over what the local server received."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes | None
    host_url: str = GITHUB_HOST_URL
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
        return self.headers.get("Content-Type", self.headers.get("content-type", ""))


@dataclass
class ExchangeResponse:
    """openapi-core's Response protocol over what the local server answered."""

    status_code: int
    data: bytes
    content_type: str
    headers: Headers


def request_violations(request: ExchangeRequest) -> list[str]:
    """Everything wrong with a request (unknown path or method, bad query, bad body)."""
    result = load_openapi().unmarshal_request(request)
    return [_describe(error) for error in result.errors]


def response_violations(request: ExchangeRequest, response: ExchangeResponse) -> list[str]:
    result = load_openapi().unmarshal_response(request, response)
    return [_describe(error) for error in result.errors]


def _describe(error: BaseException) -> str:
    text = f"{type(error).__name__}: {str(error)[:400]}"
    cause = error.__cause__
    details = getattr(cause, "schema_errors", None) or getattr(error, "schema_errors", None)
    if details:
        text += " | " + "; ".join(str(getattr(d, "message", d))[:300] for d in details)
    elif cause is not None:
        text += f" | {cause}"
    return text
