"""Read manifest.json into the dict the typed view (`floe_ci.dbt_manifest`) reads, checked.

A manifest may come from anywhere: `--manifest FILE`, a committed `target/`, a cache. Every
way it can be wrong is a located usage error (exit 2) naming the file and the first bad
field, never a traceback: not JSON, nested too deeply for any parser, a field of the wrong
type, or a schema version that the supported dbt versions do not write.

A check also takes each entry's content digest (`node_digests`): entries whose digest
passed the shape check before (kept in `checked-entries.bin` of a cache folder) are not
walked again, and the digests key the findings a warm check reuses (governance.incremental).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from floe_ci.dbt_manifest import NODE_SECTIONS, SUPPORTED_DBT, ManifestShapeError, check_manifest
from floe_ci.errors import FloeUsageError

_HINT = "delete it and run again; floe-ci re-creates it with `dbt parse`"
CHECKED_FILE = "checked-entries.bin"
_DIGEST_SIZE = 16  # governance.incremental.entry_digest's


@dataclass(frozen=True)
class CheckedManifest:
    """A manifest read and checked, with the content digest of each entry by unique_id."""

    data: dict[str, Any]
    digests: dict[str, bytes] = field(default_factory=dict)


def read_manifest(path: Path) -> dict[str, Any]:
    """The manifest at `path`, every entry's shape checked."""
    return _check(_parse(path), path, frozenset())


def read_manifest_reusing(path: Path, cache_dir: Path) -> CheckedManifest:
    """read_manifest, not walking again the entries whose exact content passed before
    (their digests in `cache_dir`); the digests of all entries come with it."""
    raw = _parse(path)
    digests = node_digests(raw)
    passed = _load_checked(cache_dir)
    data = _check(raw, path, frozenset(key for key, d in digests.items() if d in passed))
    if passed != set(digests.values()):
        _save_checked(cache_dir, digests.values())
    return CheckedManifest(data, {uid: d for (_, uid), d in digests.items()})


def node_digests(data: Any) -> dict[tuple[str, str], bytes]:
    """(section, unique_id) -> the entry's digest (governance.incremental.entry_digest: its
    JSON, all of it but dbt's parse time); an entry without a JSON form has none (it is
    always checked)."""
    from floe_ci.governance.incremental import entry_digest

    digests: dict[tuple[str, str], bytes] = {}
    if not isinstance(data, dict):
        return digests
    for section in NODE_SECTIONS:
        entries = data.get(section)
        if not isinstance(entries, dict):
            continue
        for uid, node in entries.items():
            digest = entry_digest(section, node)
            if digest is not None:
                digests[(section, str(uid))] = digest
    return digests


def _parse(path: Path) -> Any:
    from floe_ci import fastjson

    shown = str(path)
    try:
        return fastjson.loads(path.read_bytes())
    except IsADirectoryError:
        raise FloeUsageError.single(shown, "is a folder, expected dbt's manifest.json") from None
    except RecursionError:
        raise FloeUsageError.single(
            shown, "cannot read dbt manifest: its JSON is nested too deeply", hint=_HINT
        ) from None
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)[:200]
        raise FloeUsageError.single(
            shown, f"cannot read dbt manifest: {reason}", hint=_HINT
        ) from None


def _check(data: Any, path: Path, known: frozenset[tuple[str, str]]) -> dict[str, Any]:
    """`data` when it has a manifest's shape (entries named in `known` passed before)."""
    try:
        check_manifest(data, known)
    except ManifestShapeError as exc:
        raise FloeUsageError.single(
            str(path),
            f"not a dbt manifest floe-ci can read: {exc}",
            hint=f"re-create it with `dbt parse` ({SUPPORTED_DBT}); {_HINT}",
        ) from None
    assert isinstance(data, dict)
    return data


@cache  # read by the load and the save of one check
def _checker_version() -> bytes:
    """What a stored digest's "passed" depends on: floe-ci's version and the checker's code."""
    import floe_ci.dbt_manifest as checker
    from floe_ci.fsutil import source_digest

    return f"floe-ci {source_digest([Path(checker.__file__)])}".encode()


def _load_checked(cache_dir: Path) -> set[bytes]:
    """The digests of entries that passed the shape check; empty when unreadable or made by
    another checker."""
    try:
        raw = (cache_dir / CHECKED_FILE).read_bytes()
    except OSError:
        return set()
    header, _, body = raw.partition(b"\n")
    if header != _checker_version() or len(body) % _DIGEST_SIZE:
        return set()
    return {body[i : i + _DIGEST_SIZE] for i in range(0, len(body), _DIGEST_SIZE)}


def _save_checked(cache_dir: Path, digests: Iterable[bytes]) -> None:
    from floe_ci.fsutil import write_cache

    body = b"".join(sorted(digests))
    write_cache(cache_dir / CHECKED_FILE, _checker_version() + b"\n" + body)
