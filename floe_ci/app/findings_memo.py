"""The findings of the last check, relation by relation, for the next one to reuse.

`governance.incremental` decides what may be reused; this module keeps it in
`.floe/cache/findings/findings.json` (written atomically, only when something changed) and
answers the content digests of the files findings name. The file's project key covers
floe-ci's version and rule code, the check's options and floe.yaml's folder: a different one
reuses nothing. Anything unreadable reuses nothing: the check then evaluates every rule.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from floe_ci.governance.incremental import Stored
from floe_ci.governance.result import Finding

if TYPE_CHECKING:
    from floe_ci.governance.evaluate import CheckOptions

MEMO_FILE = "findings.json"
_VERSION = 1


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

    def load(self) -> dict[str, Stored]:
        """The relations stored under this project key; {} when none can be read."""
        from pydantic import TypeAdapter, ValidationError

        from floe_ci import fastjson

        try:
            data = fastjson.loads((self.folder / MEMO_FILE).read_bytes())
            if data.get("version") != _VERSION or data.get("project") != self.project_key:
                return {}
            findings = TypeAdapter(list[Finding]).validate_python(data["findings"])
            loaded = {
                str(node_id): Stored(
                    str(key),
                    tuple(findings[int(start) : int(end)]),
                    tuple((str(file), str(digest)) for file, digest in files),
                )
                for node_id, (key, files, start, end) in data["relations"].items()
            }
        except (OSError, ValueError, KeyError, TypeError, AttributeError, ValidationError):
            return {}
        self._loaded = loaded
        return loaded

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
        """Keep `relations` for the next check, unless they are what was loaded."""
        if relations.keys() == self._loaded.keys() and all(
            relations[k] is self._loaded[k] for k in relations
        ):
            return
        from floe_ci import fastjson
        from floe_ci.fsutil import write_cache

        findings: list[dict[str, Any]] = []
        index: dict[str, list[Any]] = {}
        for node_id in sorted(relations):
            stored = relations[node_id]
            start = len(findings)
            findings.extend(dict(f.__dict__) for f in stored.findings)
            files = [list(pair) for pair in stored.files]
            index[node_id] = [stored.key, files, start, len(findings)]
        data = {
            "version": _VERSION,
            "project": self.project_key,
            "relations": index,
            "findings": findings,
        }
        write_cache(self.folder / MEMO_FILE, fastjson.dumps_compact(data))
        self._loaded = dict(relations)
