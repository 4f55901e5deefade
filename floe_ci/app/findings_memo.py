"""The findings of the last check, relation by relation, for the next one to reuse.

`governance.incremental` decides what may be reused; this module keeps it in
`.floe/cache/findings/findings.json` (written atomically, only when something changed, and
then only what changed while that is small: floe_ci.delta_file) and
answers the content digests of the files findings name. The file's project key covers
floe-ci's version and rule code, the check's options and floe.yaml's folder: a different one
reuses nothing. Anything unreadable reuses nothing: the check then evaluates every rule.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from floe_ci.delta_file import DeltaFile
from floe_ci.governance.incremental import Stored
from floe_ci.governance.result import Finding
from floe_ci.lineage.cache_format import merge_changes

if TYPE_CHECKING:
    from floe_ci.governance.evaluate import CheckOptions

MEMO_FILE = "findings.json"
_VERSION = 3  # 2: findings stored with their waivers applied; 3: classified counts


class FindingsMemo:
    """The stored findings of one project's checks, under `folder`."""

    def __init__(self, folder: Path, root: Path, options: CheckOptions) -> None:
        from floe_ci.app.result_cache import code_fingerprint

        self.folder = folder
        self.root = root  # floe.yaml's folder: findings name files relative to it
        digest = hashlib.sha256()
        for part in (_VERSION, code_fingerprint(), repr(options), str(root.resolve())):
            digest.update(f"{part}\0".encode())
        self.project_key = digest.hexdigest()
        self._digests: dict[str, str | None] = {}
        self._loaded: dict[str, Stored] = {}
        self._file = DeltaFile(folder / MEMO_FILE)

    def load(self) -> dict[str, Stored]:
        """The relations stored under this project key; {} when none can be read."""
        from pydantic import TypeAdapter, ValidationError

        from floe_ci import fastjson

        segments = self._file.read()
        if segments.base is None:
            return {}
        adapter = TypeAdapter(list[Finding])
        try:
            loaded = self._decoded(fastjson.loads(segments.base), adapter)
        except (ValueError, KeyError, IndexError, TypeError, AttributeError, ValidationError):
            return {}
        for delta in segments.deltas:
            try:
                changes = self._decoded(fastjson.loads(delta), adapter)
            except (ValueError, KeyError, IndexError, TypeError, AttributeError, ValidationError):
                self._file.broken()  # and the later deltas were made on top of this one
                break
            merge_changes(loaded, changes)
        self._loaded = loaded
        return dict(loaded)

    def _decoded(self, data: Any, adapter: Any) -> dict[str, Any]:
        """node_id -> Stored (None: removed, in a delta) of one file's JSON."""
        if data.get("version") != _VERSION or data.get("project") != self.project_key:
            raise ValueError("another version or project")
        findings = adapter.validate_python(data["findings"])
        return {
            str(node_id): None
            if entry is None
            else Stored(
                str(entry[0]),
                tuple(findings[int(entry[2]) : int(entry[3])]),
                tuple((str(file), str(digest)) for file, digest in entry[1]),
                int(entry[4]),
            )
            for node_id, entry in data["relations"].items()
        }

    def file_digest(self, file: str) -> str | None:
        """blake2b of a file named as findings name it (relative to floe.yaml's folder)."""
        if file not in self._digests:
            try:
                data = (self.root / file).read_bytes()
            except OSError:
                self._digests[file] = None
            else:
                self._digests[file] = hashlib.blake2b(data, digest_size=16).hexdigest()
        return self._digests[file]

    def save(self, relations: Mapping[str, Stored]) -> None:
        """Keep `relations` for the next check: nothing when they are what was loaded, only
        what changed while that is small (delta_file), else all of them."""
        loaded = self._loaded
        changed = {k: v for k, v in relations.items() if loaded.get(k) is not v}
        removed = [k for k in loaded if k not in relations]
        if not changed and not removed:
            return
        if loaded:
            delta = self._encoded(changed, removed)
            if self._file.wants_delta(len(delta)):
                self._file.write_delta(delta)
                self._loaded = dict(relations)
                return
        self._file.write_base(self._encoded(relations, []))
        self._loaded = dict(relations)

    def _encoded(self, relations: Mapping[str, Stored], removed: list[str]) -> bytes:
        from floe_ci import fastjson

        findings: list[dict[str, Any]] = []
        index: dict[str, list[Any] | None] = {}
        for node_id in sorted(relations):
            stored = relations[node_id]
            start = len(findings)
            findings.extend(dict(f.__dict__) for f in stored.findings)
            files = [list(pair) for pair in stored.files]
            index[node_id] = [stored.key, files, start, len(findings), stored.classified]
        index.update((node_id, None) for node_id in removed)
        data = {
            "version": _VERSION,
            "project": self.project_key,
            "relations": index,
            "findings": findings,
        }
        return fastjson.dumps_bytes(data)
