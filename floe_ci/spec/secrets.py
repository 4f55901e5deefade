"""Spotting literal secrets in configuration. floe.yaml may only name secrets (`*_secret_ref`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

# Keys whose values are credentials. Matched on the key's last word so `db_password`,
# `apiKey` and `private-key` are caught, while `key_column` or `primary_key` are not.
_SECRET_KEY = re.compile(
    r"(?i)(^|[_\-.])(password|passwd|pwd|secret|token|api[_\-]?key|apikey|private[_\-]?key|"
    r"access[_\-]?key|secret[_\-]?key|client[_\-]?secret|credentials?)$|"
    r"(Password|Secret|Token|ApiKey|PrivateKey|AccessKey)$"
)
# Values that are credentials whatever their key is called.
_SECRET_VALUE = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----|"
    r"\bgh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|"
    r"\bAKIA[0-9A-Z]{16}\b|\bxox[abpr]-[A-Za-z0-9-]{10,}|"
    r"\bsk-[A-Za-z0-9]{20,}|\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.|"
    r"://[^/\s:@]+:[^/\s@]+@"
)
_REFERENCE = re.compile(r"^\s*(\{\{\s*env_var\(.*\)\s*\}\}|\$\{[A-Za-z_][A-Za-z0-9_]*\})\s*$")


def is_secret_key(key: str) -> bool:
    return bool(_SECRET_KEY.search(key)) and not key.endswith("_secret_ref")


def looks_like_secret_value(value: str) -> bool:
    return bool(_SECRET_VALUE.search(value))


def find_literal_secrets(
    data: Any, path: tuple[str | int, ...] = ()
) -> Iterator[tuple[str | int, ...]]:
    """Yield the path of every value that looks like a literal credential.

    A value under a secret-sounding key is a literal secret unless it is empty or an
    `env_var(...)` / `${VAR}` reference; any string shaped like a known token format is one
    wherever it appears.
    """
    if isinstance(data, dict):
        for key, value in data.items():
            child = (*path, key)
            if (
                isinstance(value, str | int)
                and not isinstance(value, bool)
                and is_secret_key(str(key))
                and str(value).strip()
                and not _REFERENCE.match(str(value))
            ):
                yield child
            else:
                yield from find_literal_secrets(value, child)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from find_literal_secrets(value, (*path, index))
    elif isinstance(data, str) and looks_like_secret_value(data):
        yield path
