"""The OpenLineage transport named in floe.yaml's `observability` block.

http -> `lineage_endpoint` (a base URL such as http://marquez:5000, or the full URL of the
lineage API); file -> `lineage_file` (JSON lines, relative to floe.yaml); console -> log
lines on standard error. Retries are kept short: lineage must never hold a pipeline up.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from floe_ci.errors import FloeUsageError
from floe_ci.spec.models import ObservabilityConfig

if TYPE_CHECKING:
    from openlineage.client.transport import Transport

DEFAULT_LINEAGE_FILE = ".floe/lineage.jsonl"
HTTP_TIMEOUT_SECONDS = 3.0
# One quick retry, then give up; the default (5 retries with back-off) stalls every event.
HTTP_RETRY = {
    "total": 1,
    "connect": 1,
    "read": 1,
    "backoff_factor": 0.1,
    "status_forcelist": [502, 503, 504],
    "allowed_methods": ["POST"],
}


def transport_kind(observability: ObservabilityConfig) -> str | None:
    """http, file, console, or None when lineage is off or has nowhere to go."""
    if not observability.lineage:
        return None
    if observability.lineage_transport is not None:
        return observability.lineage_transport
    return "http" if observability.lineage_endpoint else None


def split_endpoint(url: str) -> tuple[str, str]:
    """`http://h:5000/api/v1/lineage` -> (`http://h:5000`, `api/v1/lineage`).

    A bare base URL gets the OpenLineage API's standard path.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise FloeUsageError.single(
            "floe.yaml",
            f"`observability.lineage_endpoint` `{url}` is not an http(s) URL",
            hint="use e.g. http://marquez:5000 (the lineage API path is added)",
        )
    path = parts.path.strip("/")
    return f"{parts.scheme}://{parts.netloc}", path or "api/v1/lineage"


def lineage_file_path(observability: ObservabilityConfig, project_root: Path) -> Path:
    return (project_root / (observability.lineage_file or DEFAULT_LINEAGE_FILE)).resolve()


def build_transport(observability: ObservabilityConfig, project_root: Path) -> Transport | None:
    """The configured transport, or None when no lineage is to be sent."""
    kind = transport_kind(observability)
    if kind is None:
        return None
    if kind == "http":
        if not observability.lineage_endpoint:
            raise FloeUsageError.single(
                "floe.yaml",
                "`observability.lineage_transport` is http but `lineage_endpoint` is not set",
                hint="add `lineage_endpoint: http://marquez:5000`, or use "
                "`lineage_transport: file`",
            )
        from openlineage.client.transport.http import HttpConfig, HttpTransport

        url, endpoint = split_endpoint(observability.lineage_endpoint)
        return HttpTransport(
            HttpConfig(url=url, endpoint=endpoint, timeout=HTTP_TIMEOUT_SECONDS, retry=HTTP_RETRY)
        )
    if kind == "file":
        from openlineage.client.transport.file import FileConfig, FileTransport

        path = lineage_file_path(observability, project_root)
        path.parent.mkdir(parents=True, exist_ok=True)
        return FileTransport(FileConfig(log_file_path=str(path), append=True))
    from openlineage.client.transport.console import ConsoleConfig, ConsoleTransport

    _show_console_events()
    return ConsoleTransport(ConsoleConfig())


def _show_console_events() -> None:
    # The console transport logs each event at INFO; make sure that reaches standard error.
    logger = logging.getLogger("openlineage.client.transport.console")
    if not any(getattr(h, "_floe", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler._floe = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False  # a root handler (dbt's tracker sets one up) would print it twice
