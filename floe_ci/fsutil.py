"""File helpers shared by the application and the integrations (the core never imports this).

Reads are bounded and every failure is a located usage error; writes never leave a
half-written file behind.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from floe_ci.confinement import confine, state_root
from floe_ci.errors import FloeUsageError
from floe_ci.redaction import MIN_FILE_SECRET_LENGTH, redact, redact_bytes
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
        fd = os.open(
            path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
        )
    except FileNotFoundError:
        raise FloeUsageError.single(display, "file not found") from None
    except OSError as exc:
        if path.is_symlink():
            raise FloeUsageError.single(
                display, "is a symbolic link; only a regular file is read here"
            ) from None
        raise FloeUsageError.single(display, f"cannot open: {exc.strerror}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):  # checked before fdopen, which refuses a folder
        os.close(fd)
        raise FloeUsageError.single(display, "is not a regular file")
    with os.fdopen(fd, "rb") as handle:
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


def write_atomic(path: Path, content: str | bytes, *, durable: bool = True) -> None:
    """Write to a temporary file in the same folder, flush it to disk (unless not
    `durable`), then rename it over the target.

    Every write goes through the redaction step: no secret value reaches a file. Inside a
    `.floe/` folder, a write never goes through a symbolic link out of the project; a folder
    that cannot be written is a located usage error."""
    confine_state_write(path)
    try:
        _write_atomic(path, content, durable=durable)
    except OSError as exc:
        raise unwritable(path, exc) from None


def write_cache(path: Path, content: str | bytes) -> None:
    """write_atomic for a cache file, without waiting for the disk (an fsync costs ~10 ms
    here, and a warm check writes several caches). Readers still see the old file or the
    new one whole; after a crash a cache may be lost or cut short, which its reader takes
    as empty: every cache can be rebuilt, unlike a user's file or report."""
    write_atomic(path, content, durable=False)


def unwritable(path: Path, exc: OSError, shown: str | None = None) -> FloeUsageError:
    """A failed write as a located usage error with the fix."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    return FloeUsageError.single(
        shown or str(exc.filename or path),
        f"cannot write {path.name}: {reason}",
        hint="floe-ci writes its reports where you ask and its state under `.floe/` beside "
        "floe.yaml: make that folder writable, or pass another output file",
    )


def check_output_file(path: Path, project: Path | None = None) -> None:
    """Before any work: `path` can take a report (not a folder, a device, a special file,
    nor in a folder that cannot be written, nor through a symbolic link that leads out of
    `project` when it is inside it). Raises a located usage error otherwise."""
    shown = str(path)
    confine(
        path.parent,
        project or state_root(path),
        "the report",
        "a report inside the project is written in the project: delete the link "
        "(`rm {link}`), or pass an output file outside the project",
    )
    if path.is_dir():
        raise FloeUsageError.single(
            shown, "is a folder", hint="name a file: `--format json=FOLDER/report.json`"
        )
    if path.exists() and not path.is_file():
        raise FloeUsageError.single(shown, "is not a regular file (a device or a pipe)")
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise FloeUsageError.single(shown, f"{folder} is not a folder")
    try:  # the only sure test: create a file there (as the atomic write will)
        fd, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".probe", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise unwritable(path, exc, shown) from None


def check_writable_folder(path: Path, what: str) -> None:
    """Before any work: floe-ci (or dbt) can create files in the folder `path` (or, while
    it does not exist, in its nearest existing parent, where it will be made). A read-only
    project or `.floe/cache` is a located usage error with the fix, not a failure halfway."""
    folder = path
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:  # the only sure test (permissions, ACLs, a read-only file system): create a file
        fd, probe = tempfile.mkstemp(prefix=".floe-probe.", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise FloeUsageError.single(
            str(path),
            f"cannot write {what} in {folder}: {reason}",
            hint=f"floe-ci needs to write there: make it writable (`chmod -R u+w {folder}`, "
            "or the owner's `chown`), or run floe-ci on a writable copy of the project",
        ) from None


STATE_FOLDERS = ("cache", "logs")


def check_writable_state(state_dir: Path) -> None:
    """`.floe/` and the folders under it that every run writes lead nowhere out of the
    project and can take files (checked in that order: no probe goes through a link)."""
    for folder, what in (
        (state_dir, "floe-ci's state (`.floe/`)"),
        *((state_dir / name, f"floe-ci's {name} (`.floe/{name}/`)") for name in STATE_FOLDERS),
    ):
        confine(folder, state_root(folder), what)
        check_writable_folder(folder, what)


def confine_state_write(path: Path) -> None:
    """Refuse a write under `.floe/` whose folder leads out of the project (the folder
    holding `.floe/`): a symbolic link planted there would send it elsewhere. The file
    itself may be a link: the rename replaces the link, it never writes through it."""
    confine(path.parent, state_root(path), f"`{path.name}`")


def ensure_folder(path: Path, what: str, root: Path | None = None) -> Path:
    """Create the folder `path` (and its parents) for floe-ci or dbt to write `what` into,
    never through a symbolic link out of the project (`root`, by default the folder that
    holds its `.floe/`); a folder that cannot be made is a located usage error."""
    confine(path, root, what)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise unwritable(path, exc) from None
    return path


def _write_atomic(path: Path, content: str | bytes, *, durable: bool = True) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    least = MIN_FILE_SECRET_LENGTH
    data = (
        redact(content, minimum=least).encode("utf-8")
        if isinstance(content, str)
        else redact_bytes(content, minimum=least)
    )
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
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


LOCK_FILE = ".lock"
# Longer than any check; a run that waits this long names the holder's lock file.
LOCK_TIMEOUT = 30 * 60.0
_held: dict[tuple[Path, int], int] = {}
_held_lock = threading.Lock()


@contextmanager
def project_lock(state_dir: Path, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold the lock of one project's state (`.floe/.lock`): parallel runs on one checkout
    wait for each other around dbt's parse, the caches and the base worktree, instead of
    reading a half-written manifest or racing for a checkout. Re-entrant in one process;
    released by the kernel when a process dies (flock)."""
    import fcntl

    key = (state_dir.absolute(), threading.get_ident())  # re-entrant per thread
    with _held_lock:
        if _held.get(key):
            _held[key] += 1
            nested = True
        else:
            nested = False
    if nested:
        try:
            yield
        finally:
            with _held_lock:
                _held[key] -= 1
        return
    check_writable_state(state_dir)  # a read-only project fails here, before any work
    ensure_folder(state_dir, "the project's lock")
    try:
        fd = os.open(state_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o666)
    except OSError as exc:
        raise unwritable(state_dir / LOCK_FILE, exc) from None
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise FloeUsageError.single(
                        str(state_dir / LOCK_FILE),
                        f"another floe-ci run has held this project's lock for {timeout:.0f} s",
                        hint="wait for it to finish, or stop it",
                    ) from None
                time.sleep(0.05)
        with _held_lock:
            _held[key] = 1
        try:
            yield
        finally:
            with _held_lock:
                _held.pop(key, None)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def source_digest(files: Iterable[Path]) -> str:
    """floe-ci's version and a digest of these source files (their paths in the package and
    their bytes): what a cache of results computed by that code is keyed by. The version
    string alone does not change between development builds, nor when a file is edited."""
    import floe_ci

    package = Path(floe_ci.__file__).resolve().parent
    digest = hashlib.blake2b(digest_size=16)
    for path in files:
        resolved = path.resolve()
        name = resolved.relative_to(package) if resolved.is_relative_to(package) else resolved
        digest.update(name.as_posix().encode() + b"\0" + resolved.read_bytes() + b"\0")
    return f"{floe_ci.__version__}:{digest.hexdigest()}"
