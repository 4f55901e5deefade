"""Which values the runner must mask before anything else is printed.

The runner masks the secrets it injected itself, but not a token passed in another way, nor
the warehouse or Cube credentials that a step maps into the environment. Those are named by
floe.yaml (`*_secret_ref`, `env_var('NAME')`, `${NAME}`), or by a secret-looking variable name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

_ENV_REFERENCE = re.compile(
    r"""env_var\(\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]|\$\{([A-Za-z_][A-Za-z0-9_]*)\}"""
)
_SECRET_NAME = re.compile(r"(TOKEN|SECRET|PASSWORD|PASSWD|PRIVATE_KEY|API_KEY|CREDENTIAL)", re.I)
# Masking a very short value would garble every log line that contains it.
MIN_MASKED_LENGTH = 4


def referenced_env_names(spec_data: Mapping[str, Any]) -> set[str]:
    """Environment variables that floe.yaml names as secrets (from its plain data)."""
    names: set[str] = set()

    def walk(node: Any, key: str = "") -> None:
        if isinstance(node, Mapping):
            for child_key, child in node.items():
                walk(child, str(child_key))
        elif isinstance(node, list):
            for item in node:
                walk(item, key)
        elif isinstance(node, str):
            if key.endswith("_secret_ref") and node:
                names.add(node)
            for match in _ENV_REFERENCE.finditer(node):
                names.add(match.group(1) or match.group(2))

    walk(spec_data)
    return names


def values_to_mask(
    env: Mapping[str, str], extra_names: Iterable[str] = (), extra_values: Iterable[str] = ()
) -> list[str]:
    """Distinct secret values present in this run, longest first."""
    values = {v for v in extra_values if v}
    for name, value in env.items():
        if name.startswith("INPUT_") and "TOKEN" not in name.upper():
            continue  # plain action inputs
        if _SECRET_NAME.search(name):
            values.add(value)
    values.update(env[name] for name in extra_names if env.get(name))
    return sorted(
        (v for v in values if len(v.strip()) >= MIN_MASKED_LENGTH), key=lambda v: (-len(v), v)
    )
