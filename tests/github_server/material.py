"""GitHub's own material from npm, loaded once per test session."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
TOOLS_DIR = REPO_ROOT / ".tools"
OPENAPI_JSON = TOOLS_DIR / "octokit-openapi" / "generated" / "api.github.com.json"
WEBHOOKS_INDEX = TOOLS_DIR / "octokit-webhooks-examples" / "api.github.com" / "index.json"
INSTALL_HINT = "run `bash .ci/tools/github.sh` (CI runs it before the tests)"


def _require(path: Path) -> Path:
    # A missing tool is a failure, never a skip: CI must exercise everything.
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: {INSTALL_HINT}")
    return path


@cache
def openapi_document() -> dict[str, Any]:
    """api.github.com.json (13 MB): parsed once per session."""
    data: dict[str, Any] = json.loads(_require(OPENAPI_JSON).read_text(encoding="utf-8"))
    return data


@cache
def load_openapi() -> Any:
    """openapi-core's OpenAPI object for GitHub's REST API, built once per session.

    The spec's own self-check is turned off: GitHub's description has `default: ''` on a
    `format: uri` string, which the strict meta-validation rejects, while requests and
    responses are still validated against every schema.
    """
    from openapi_core import Config, OpenAPI

    return OpenAPI.from_dict(openapi_document(), config=Config(spec_validator_cls=None))


@cache
def _webhooks() -> dict[str, list[dict[str, Any]]]:
    entries = json.loads(_require(WEBHOOKS_INDEX).read_text(encoding="utf-8"))
    return {entry["name"]: entry["examples"] for entry in entries}


def webhook_example(
    event: str, action: str | None = None, where: Callable[[dict[str, Any]], bool] | None = None
) -> dict[str, Any]:
    """A deep copy of the first real payload of `event` (with `action`, matching `where`)."""
    for example in _webhooks()[event]:
        if action is not None and example.get("action") != action:
            continue
        if where is not None and not where(example):
            continue
        return copy.deepcopy(example)
    raise LookupError(f"no {event}/{action} example in @octokit/webhooks-examples")


def openapi_example(name: str) -> dict[str, Any]:
    """A deep copy of one of the description's own examples (`components/examples/NAME`)."""
    value = openapi_document()["components"]["examples"][name]["value"]
    assert isinstance(value, dict), name
    return copy.deepcopy(value)
