"""Whether a manifest is still what `dbt parse` would write: the digest of what dbt reads.

A manifest is reused while the content of the files dbt reads is the one it was parsed
from; file times alone decide nothing (a CI checkout gives every file a new one). What dbt
reads for a parse:

- the project's `dbt_project.yml`, its package files (`packages.yml`, `dependencies.yml`,
  `package-lock.yml`) and `selectors.yml`;
- every file under its configured paths (`model-paths`, `seed-paths`, `macro-paths`,
  `snapshot-paths`, `test-paths`, `analysis-paths`, `function-paths`, `docs-paths`, with
  dbt's defaults), and the same for each `local:` package's folder;
- every file of the installed packages (`packages-install-path`, default `dbt_packages/`);
- the values of the environment variables those files read with `env_var('NAME')`, as the
  parse sees them (a secret's fixed placeholder, never its value);
- dbt's version and the parse profile (the generated one, or the user's `--compile-target`).

The digest is stored beside the manifest (`floe-inputs.json`, written atomically) with the
manifest's identity (size and dbt's invocation id) and, per file, its stat result (size,
times, inode) and the blake2b of its bytes: a file whose stat result is unchanged is not
read again; one whose stat differs (an edit, a new checkout) is read and hashed, and the
content decides. A file outside those paths (`floe.yaml`,
`dbt-bouncer.yml`, the README) changes nothing. Git never tracks this file (it is state of
floe-ci's, see integrations/git/trusted_state): a committed one makes the check re-parse.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from floe_ci.fsutil import write_atomic
from floe_ci.integrations.dbt.project import DbtProject

DIGEST_FILE = "floe-inputs.json"
_FORMAT = 2
# A record holds ~150 bytes a file dbt reads: 256 MiB is over a million files.
_MAX_RECORD_BYTES = 256 * 2**20
_PROJECT_FILES = (
    "dbt_project.yml",
    "packages.yml",
    "dependencies.yml",
    "package-lock.yml",
    "selectors.yml",
)
# dbt_project.yml key -> dbt's default (dbt/config/project.py); docs-paths defaults to all.
_PATH_KEYS = {
    "model-paths": ["models"],
    "seed-paths": ["seeds"],
    "macro-paths": ["macros"],
    "snapshot-paths": ["snapshots"],
    "test-paths": ["tests"],
    "analysis-paths": ["analyses"],
    "function-paths": ["functions"],
}
_LEGACY_KEYS = {"model-paths": "source-paths", "seed-paths": "data-paths"}
# Folders dbt writes into, never inputs, even under a path such as `model-paths: ["."]`.
_SKIPPED = {"target", "logs", ".floe", "node_modules", ".venv", "__pycache__"}
_ENV_VAR = re.compile(rb"""env_var\(\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]""")
_INVOCATION_ID = re.compile(rb'"invocation_id"\s*:\s*"([^"]*)"')


# A file's entry in the record: size, mtime, ctime, inode (ns), its blake2b, its env_var()s.
FileEntry = list[object]


@dataclass(frozen=True)
class InputDigest:
    """What a manifest was parsed from."""

    files: dict[str, FileEntry]  # path relative to the project -> its entry
    content: str  # digest of (path, bytes digest) of every input file
    env_names: tuple[str, ...]  # variables the files read with env_var()
    key: str  # content + those variables' values + dbt's version + the profile
    reread: int  # files whose bytes were read (their stat differed from the record)

    def to_json(self, manifest: str) -> str:
        return json.dumps(
            {
                "format": _FORMAT,
                "key": self.key,
                "manifest": manifest,
                "content": self.content,
                "files": self.files,
            },
            separators=(",", ":"),
        )


def digest_path(project: DbtProject) -> Path:
    return project.manifest_path.with_name(DIGEST_FILE)


def input_files(
    project: DbtProject, local_packages: Iterable[Path] = ()
) -> dict[str, os.stat_result]:
    """Every file whose content can change what `dbt parse` writes, with its stat result."""
    found: dict[str, os.stat_result] = {}
    roots = [project.path, *(p for p in local_packages if p != project.path)]
    # floe-ci's parse target and the user's own (`target-path`): dbt's output, never input
    target = os.path.normpath(project.path / project.target_path)
    configured = os.path.normpath(project.path / str(project.config.get("target-path") or "target"))
    install = os.path.normpath(project.path / _install_path(project.config))
    for index, root in enumerate(roots):
        config = project.config if index == 0 else _config_of(root)
        for name in _PROJECT_FILES:
            path = os.path.normpath(root / name)
            try:
                found[path] = os.stat(path)
            except OSError:
                continue
        for folder in _source_folders(config):
            _walk(os.path.normpath(root / folder), {target, configured, install}, found)
    _walk(install, {target, configured}, found, skip_names=False)
    return found


def compute(
    project: DbtProject,
    files: dict[str, os.stat_result],
    profile: str,
    previous: dict[str, object] | None = None,
) -> InputDigest:
    """The digest of `files` (from input_files). A file is read only when its stat result
    differs from the one in `previous` (the stored record), else its recorded digest is
    taken: a fresh checkout (new times) reads every file once, an edit reads that file."""
    known = previous.get("files") if previous is not None else None
    recorded: dict[str, object] = known if isinstance(known, dict) else {}
    entries: dict[str, FileEntry] = {}
    reread = 0
    prefix = os.path.normpath(project.path) + os.sep
    for path in sorted(files):
        st = files[path]
        # plain slicing for the project's own files: os.path.relpath costs ~0.1 s at 5,000
        relative = path[len(prefix) :] if path.startswith(prefix) else os.path.relpath(path, prefix)
        stat = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
        old = recorded.get(relative)
        if isinstance(old, list) and len(old) == 6 and old[:4] == stat:
            entries[relative] = old
            continue
        reread += 1
        entries[relative] = [*stat, *_hash_file(path)]
    names: set[str] = set()
    lines = []
    for relative, entry in entries.items():  # sorted by path above
        lines.append(f"{relative}\0{entry[4]}\n")
        if entry[5]:
            names.update(str(n) for n in entry[5])  # type: ignore[attr-defined]
    digest = hashlib.blake2b("".join(lines).encode("utf-8", "surrogateescape"), digest_size=20)
    content = digest.hexdigest()
    env_names = tuple(sorted(names))
    return InputDigest(entries, content, env_names, _key(content, env_names, profile), reread)


def stored(project: DbtProject) -> dict[str, object] | None:
    """The record beside the manifest, or None when there is none or it is unusable: also
    when it is not a regular file of its own (a symbolic link, a FIFO that would block the
    check, a device) or larger than any record floe-ci writes."""
    from floe_ci.errors import FloeUsageError
    from floe_ci.fsutil import read_regular_file

    path = digest_path(project)
    try:
        data = json.loads(read_regular_file(path, str(path), _MAX_RECORD_BYTES))
    except (FloeUsageError, ValueError, UnicodeDecodeError):
        return None  # the check parses again and writes a record of its own
    return data if isinstance(data, dict) and data.get("format") == _FORMAT else None


def is_current(project: DbtProject, digest: InputDigest, record: dict[str, object] | None) -> bool:
    """Whether the manifest on disk was parsed from exactly these inputs."""
    if record is None or record.get("key") != digest.key:
        return False
    return record.get("manifest") == manifest_identity(project.manifest_path)


def save(project: DbtProject, digest: InputDigest) -> None:
    """Record that the manifest on disk was parsed from `digest`'s inputs."""
    identity = manifest_identity(project.manifest_path)
    if identity is not None:
        write_atomic(digest_path(project), digest.to_json(identity))


def manifest_identity(path: Path) -> str | None:
    """The manifest's size and dbt's invocation id (the first key of its metadata): the
    same manifest file whatever its modification time (a CI cache restores it with a new
    one), a different one after any dbt run that wrote it."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
            size = os.fstat(handle.fileno()).st_size
    except OSError:
        return None
    match = _INVOCATION_ID.search(head)
    return f"{size}:{match.group(1).decode('ascii', 'replace')}" if match else None


def _install_path(config: dict[str, object]) -> str:
    return str(config.get("packages-install-path") or "dbt_packages")


def _config_of(root: Path) -> dict[str, object]:
    import yaml

    try:
        data = yaml.safe_load((root / "dbt_project.yml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def _source_folders(config: dict[str, object]) -> list[str]:
    """The folders dbt reads, or the whole project (`.`) when a path setting is not a plain
    list of names (a Jinja expression, a typo): more is read, nothing is missed."""
    folders: list[str] = []
    for key, default in _PATH_KEYS.items():
        value = config.get(key, config.get(_LEGACY_KEYS.get(key, ""), default))
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return ["."]
        folders += value
    docs = config.get("docs-paths")
    if docs is not None:
        if not isinstance(docs, list) or not all(isinstance(v, str) for v in docs):
            return ["."]
        folders += docs
    return sorted(set(folders))


def _walk(
    folder: str, excluded: set[str], found: dict[str, os.stat_result], skip_names: bool = True
) -> None:
    """Add every file under `folder` with its stat result (os.scandir: ~3x faster than
    os.walk at 5,000 models)."""
    if folder in excluded:
        return
    try:
        entries = os.scandir(folder)
    except OSError:  # a configured path that does not exist: dbt reads nothing there
        return
    subfolders = []
    with entries:
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            if entry.is_dir():
                if not entry.is_symlink() and not (skip_names and name in _SKIPPED):
                    subfolders.append(entry.path)
            elif entry.is_file():
                try:
                    found[entry.path] = entry.stat()
                except OSError:  # removed meanwhile: dbt will not read it either
                    continue
    for sub in subfolders:
        _walk(sub, excluded, found, skip_names)


def _hash_file(path: str) -> tuple[str, list[str]]:
    """(blake2b of the bytes, the variables read with env_var()); a file that vanished
    has its own digest, so it differs from every content."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return "missing", []
    names = (
        sorted({n.decode("ascii") for n in _ENV_VAR.findall(data)}) if b"env_var" in data else []
    )
    return hashlib.blake2b(data, digest_size=16).hexdigest(), names


def _key(content: str, names: tuple[str, ...], profile: str) -> str:
    from floe_ci.redaction import placeholder, secret_names

    secrets = secret_names({name: "" for name in names})
    digest = hashlib.blake2b(digest_size=20)
    for part in _versions():
        digest.update(part.encode() + b"\0")
    digest.update(profile.encode() + b"\0" + content.encode() + b"\0")
    for name in names:  # what the parse sees: a secret's placeholder, never its value
        value = placeholder(name) if name in secrets else os.environ.get(name)
        digest.update(f"{name}={value!r}\0".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def _versions() -> Iterator[str]:
    """dbt's version (partial parse and the manifest's schema depend on it) and the
    parse profile's adapter."""
    from importlib.metadata import PackageNotFoundError, version

    for package in ("dbt-core", "dbt-duckdb"):
        try:
            yield f"{package}={version(package)}"
        except PackageNotFoundError:
            yield f"{package}=none"
