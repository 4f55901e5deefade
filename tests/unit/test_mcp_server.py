"""The MCP server's listing rule: a restricted member is shown to its roles only."""

from __future__ import annotations

import jwt

from floe_ci.app.mcp_server import _token_groups

KEY = "a-test-key-of-at-least-32-bytes-long"


def test_groups_come_from_the_tokens_groups_or_roles_claim() -> None:
    assert _token_groups(jwt.encode({"groups": ["pii_reader"]}, KEY, algorithm="HS256")) == {
        "pii_reader"
    }
    assert _token_groups(jwt.encode({"roles": ["finance", 7]}, KEY, algorithm="HS256")) == {
        "finance",
        "7",
    }
    assert _token_groups(jwt.encode({"tenant_id": "GB"}, KEY, algorithm="HS256")) == set()


def test_a_malformed_token_has_no_groups() -> None:
    for token in ("", "not-a-jwt", "a.!!!.c", "a.bnVsbA.c", jwt.encode({"groups": "x"}, KEY)):
        assert _token_groups(token) == set()
