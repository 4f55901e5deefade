"""File helpers shared by the application and the integrations (the core never imports this).

Reads are bounded and every failure is a located usage error; writes never leave a
half-written file behind.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from floe_ci.errors import FloeUsageError
from floe_ci.redaction import redact, redact_bytes
from floe_ci.spec.yaml_positions import (
    MAX_EXPANDED_NODES,
    MAX_FILE_BYTES,
    LocatedDocument,
    decode_utf8,
    file_too_large,
    load_located,
)


def read_bytes(path: Path, display: str, max_bytes: int = MAX_FILE_BYTES) -> bytes:
    """A file's bytes, its size checked before reading, with a located error otherwise."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise FloeUsageError.single(
            display,
            "file not found",
            hint="pass the right path with --config, or run `floe-ci init`",
        ) from None
    if path.is_dir():
        raise FloeUsageError.single(display, "is a directory, expected a YAML file")
    if size > max_bytes:
        raise file_too_large(display, size, max_bytes)
    return path.read_bytes()


def read_text(path: Path, display: str, max_bytes: int = MAX_FILE_BYTES) -> str:
    """Read a file as UTF-8, with a located error for every way it can be unreadable."""
    return decode_utf8(read_bytes(path, display, max_bytes), display, max_bytes)


def read_regular_file(path: Path, display: str, max_bytes: int) -> bytes:
    """The bytes of a regular file that `path` names itself: never through a symbolic link
    (a link to /proc/self/environ), never a device, FIFO or folder, at most `max_bytes`
    (checked on the opened file, before reading). For files written by untrusted code."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise FloeUsageError.single(display, "file not found") from None
    except OSError as exc:
        if path.is_symlink():
            raise FloeUsageError.single(
                display, "is a symbolic link; only a regular file is read here"
            ) from None
        raise FloeUsageError.single(display, f"cannot open: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise FloeUsageError.single(display, "is not a regular file")
        size = info.st_size
        data = handle.read(max_bytes + 1) if size <= max_bytes else b""
    if size > max_bytes or len(data) > max_bytes:  # too big, or it grew while we read
        raise FloeUsageError.single(
            display,
            f"is {max(size, len(data)):,} bytes; at most {max_bytes:,} are read here",
            hint="the file is not the one floe-ci wrote: upload the first stage's files as is",
        )
    return data


def load_located_file(
    path: Path,
    display: str | None = None,
    max_bytes: int = MAX_FILE_BYTES,
    max_nodes: int = MAX_EXPANDED_NODES,
) -> LocatedDocument:
    """A YAML file parsed with the position of every value (see spec.yaml_positions)."""
    shown = display or str(path)
    return load_located(read_text(path, shown, max_bytes), shown, max_nodes)


def write_atomic(path: Path, content: str | bytes) -> None:
    """Write to a temporary file in the same folder, then rename over the target.

    Every write goes through the redaction step: no secret value reaches a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = redact(content).encode("utf-8") if isinstance(content, str) else redact_bytes(content)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp makes the file private; keep the mode a plain write would give (or had).
        try:
            mode = path.stat().st_mode & 0o777
        except FileNotFoundError:
            mode = 0o666 & ~umask()
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
