"""The one redaction step every output of floe-ci goes through, and dbt's placeholders.

A secret value must never leave the process: not in a report, the comment, the job summary,
a log, a cache, nor in what dbt writes for a check (its log, `partial_parse.msgpack`, the
compile folder). Two defences, both here:

- `redact(text)` replaces every secret value this process knows with `***` (also in its
  JSON-escaped form); `fsutil.write_atomic` and the CLI's standard output call it, so no
  caller can forget.
- `placeholder_environment(env)`: the `dbt parse` and `dbt compile` of a check connect to
  nothing, so they run with each secret value replaced by a fixed placeholder; then nothing
  dbt writes holds a secret, whatever the project's Jinja does with it.

A secret is the value of a variable whose name says so (`DBT_ENV_SECRET_*`, `*TOKEN*`,
`*PASSWORD*`, ...), of the action's token input, or of a variable floe.yaml names as a secret
(`register_secret_names`, called once floe.yaml is loaded).
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterable, Mapping

REDACTED = "***"
DBT_SECRET_PREFIX = "DBT_ENV_SECRET_"
PLACEHOLDER_PREFIX = "floe-ci-placeholder-"
SECRET_NAME = re.compile(
    r"(TOKEN|SECRET|PASSWORD|PASSWD|PRIVATE_KEY|API_KEY|CREDENTIAL)", re.IGNORECASE
)
# Replacing a very short value would garble every text that contains it.
MIN_SECRET_LENGTH = 4
# In files floe-ci or dbt parse again (profiles, rendered manifests, caches) a short value
# that is also a common word (`PGW_USER=floe`, a secret `data`) would break them: masking
# is for what is printed, never for what is parsed. Files get the values of 8 characters
# or more masked as a second defence (the first: placeholders, so they never hold one).
MIN_FILE_SECRET_LENGTH = 8

_named: set[str] = set()
_values: set[str] = set()
_lock = threading.Lock()


def is_secret_name(name: str) -> bool:
    """A variable whose value is a secret by its name alone."""
    if name.startswith(DBT_SECRET_PREFIX):
        return True
    if name.startswith("INPUT_"):  # the action's plain inputs, except its token
        return "TOKEN" in name.upper()
    return SECRET_NAME.search(name) is not None


def register_secret_names(names: Iterable[str]) -> None:
    """Variables floe.yaml names as secrets (`*_secret_ref`, `env_var(...)`)."""
    with _lock:
        _named.update(names)


def register_secret_values(values: Iterable[str]) -> None:
    """Secret values known otherwise (a token handed over as an argument)."""
    with _lock:
        _values.update(v for v in values if v)


def secret_names(env: Mapping[str, str]) -> set[str]:
    """The names in `env` whose values are secrets."""
    return {name for name in env if is_secret_name(name) or name in _named}


def secret_values(
    env: Mapping[str, str] | None = None, minimum: int = MIN_SECRET_LENGTH
) -> list[str]:
    """Every secret value of `env` (default: this process's) of at least `minimum`
    characters, longest first."""
    environ = os.environ if env is None else env
    found = {environ[name] for name in secret_names(environ)} | _values
    usable = (v for v in found if len(v.strip()) >= minimum)
    return sorted(usable, key=lambda v: (-len(v), v))


def _forms(value: str) -> list[str]:
    """A value as it may appear in a text: as is and escaped inside a JSON string."""
    escaped = json.dumps(value)[1:-1]
    escaped_ascii = json.dumps(value, ensure_ascii=True)[1:-1]
    return list(dict.fromkeys([value, escaped, escaped_ascii]))


def redact(
    text: str, env: Mapping[str, str] | None = None, minimum: int = MIN_SECRET_LENGTH
) -> str:
    """`text` with every secret value (of `minimum` characters or more) replaced by `***`."""
    for value in secret_values(env, minimum):
        for form in _forms(value):
            if form in text:
                text = text.replace(form, REDACTED)
    return text


def redact_bytes(
    data: bytes, env: Mapping[str, str] | None = None, minimum: int = MIN_SECRET_LENGTH
) -> bytes:
    """`redact` for bytes (UTF-8 forms of the values)."""
    for value in secret_values(env, minimum):
        for form in _forms(value):
            encoded = form.encode("utf-8", "surrogateescape")
            if encoded in data:
                data = data.replace(encoded, REDACTED.encode())
    return data


def placeholder(name: str) -> str:
    """The fixed stand-in of a secret variable (the same every run: dbt's partial parse
    compares the values of the variables a project reads)."""
    return PLACEHOLDER_PREFIX + name


def placeholder_environment(env: Mapping[str, str]) -> dict[str, str]:
    """`env` with every secret value replaced by its placeholder."""
    secrets = secret_names(env)
    return {name: placeholder(name) if name in secrets else value for name, value in env.items()}


class placeholders_in_process:
    """Within the block, this process's secret variables hold placeholders (for an
    in-process `dbt parse`, which reads os.environ)."""

    def __enter__(self) -> None:
        self._saved = {name: os.environ[name] for name in secret_names(os.environ)}
        # dbt reads them by name, and the redaction step must still know the real values.
        register_secret_values(self._saved.values())
        for name in self._saved:
            os.environ[name] = placeholder(name)

    def __exit__(self, *exc: object) -> None:
        for name, value in self._saved.items():
            os.environ[name] = value
