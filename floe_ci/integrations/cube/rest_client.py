"""Cube's REST API (`/cubejs-api/v1/load`, `/meta`) with the caller's own token.

The token is the caller's security context (tenant, groups): Cube applies row-level
security and member restrictions to it. It is sent as the Authorization header and never
logged or returned.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

TIMEOUT_SECONDS = 30.0
WAIT_SECONDS = 60.0  # Cube answers "Continue wait" while a query is still running


class CubeQueryError(Exception):
    """Cube refused or failed a request; `status` is its HTTP status (0: not reached)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class CubeRestClient:
    base_url: str  # e.g. http://cube:4000
    token: str

    def load(self, query: Mapping[str, Any]) -> dict[str, Any]:
        """The answer of `/cubejs-api/v1/load` (data, annotation, usedPreAggregations)."""
        return self._call("/cubejs-api/v1/load", {"query": json.dumps(dict(query))})

    def meta(self) -> dict[str, Any]:
        return self._call("/cubejs-api/v1/meta", {})

    def _call(self, path: str, params: Mapping[str, str]) -> dict[str, Any]:
        url = self.base_url.rstrip("/") + path
        if params:
            url += "?" + urllib.parse.urlencode(params)
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            status, payload = self._get(url)
            if payload.get("error") == "Continue wait" and time.monotonic() < deadline:
                time.sleep(0.5)
                continue
            if status != 200 or "error" in payload:
                raise CubeQueryError(status, _message(status, payload))
            return payload

    def _get(self, url: str) -> tuple[int, dict[str, Any]]:
        request = urllib.request.Request(url, headers={"Authorization": self.token})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                return response.status, _json(response.read())
        except urllib.error.HTTPError as error:
            return error.code, _json(error.read())
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise CubeQueryError(0, f"Cube is not reachable at {self.base_url}: {reason}") from None


def _json(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body or b"{}")
    except ValueError:
        return {"error": body.decode("utf-8", "replace")[:500]}
    return value if isinstance(value, dict) else {"error": str(value)[:500]}


def _message(status: int, payload: Mapping[str, Any]) -> str:
    error = str(payload.get("error") or "no error message")
    return f"Cube answered {status}: {error}"
