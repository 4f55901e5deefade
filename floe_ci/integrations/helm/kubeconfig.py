"""The kubeconfig helm uses: $KUBECONFIG, or $KUBECONFIG_DATA written to a private file.

KUBECONFIG_DATA (as a GitHub secret maps it) holds the kubeconfig itself, as YAML or base64
of it. It is written to a temporary file readable by this user only (0600) and deleted
when the step ends; its content is never printed.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import tempfile
from collections.abc import Iterator, Mapping

from floe_ci.errors import FloeUsageError

KUBECONFIG_DATA_ENV = "KUBECONFIG_DATA"


def decode_kubeconfig(data: str) -> str:
    """The kubeconfig's YAML from KUBECONFIG_DATA (plain YAML or base64 of it)."""
    text = data.strip()
    if "apiVersion" in text or "clusters:" in text:
        return text + "\n"
    try:
        decoded = base64.b64decode(text, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        decoded = ""
    if "clusters" not in decoded:
        raise FloeUsageError.single(
            KUBECONFIG_DATA_ENV,
            "is neither a kubeconfig (YAML with `clusters:`) nor base64 of one",
            hint="store the kubeconfig file itself, or `base64 -w0 kubeconfig`, in the secret",
        )
    return decoded


@contextlib.contextmanager
def kubeconfig_env(environ: Mapping[str, str]) -> Iterator[dict[str, str]]:
    """The environment for helm: KUBECONFIG pointing at KUBECONFIG_DATA's private copy."""
    env = dict(environ)
    data = env.pop(KUBECONFIG_DATA_ENV, "")
    if not data.strip():
        yield env
        return
    content = decode_kubeconfig(data)
    fd, name = tempfile.mkstemp(prefix="floe-kubeconfig-", suffix=".yaml")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(content)
        env["KUBECONFIG"] = name
        yield env
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)
