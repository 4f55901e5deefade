"""dbt's partial parse for a review's base, whose checkout is a new folder for each commit.

dbt reuses `target/partial_parse.msgpack` when dbt's version, the parse profile and target,
`--vars`, the variables `dbt_project.yml` reads and each project's `dbt_project.yml` are the
same (dbt-core's `ManifestLoader.is_partial_parsable`); it then re-parses only the files
whose checksum differs. The project's folder is not part of that key (files are known by
`package://relative/path`), and floe-ci's parse profile and secret placeholders are the same
on every run. So a new base checkout (the base branch moved) can start from the partial
parse file of the head or of an earlier base: dbt re-parses what differs, not 5,000 models.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from floe_ci.integrations.dbt.project import DbtProject

PARTIAL_PARSE_FILE = "partial_parse.msgpack"


def partial_parse_file(project: DbtProject) -> Path:
    return project.manifest_path.with_name(PARTIAL_PARSE_FILE)


def seed_partial_parse(project: DbtProject, donors: Iterable[DbtProject]) -> Path | None:
    """Give `project` (without a partial parse file of its own) a copy of the newest one of
    `donors` (the head, earlier base checkouts of the same project); returns the donor's
    file, or None when there was nothing to do."""
    own = partial_parse_file(project)
    if own.exists():
        return None
    candidates = []
    for donor in donors:
        path = partial_parse_file(donor)
        try:
            candidates.append((path.stat().st_mtime_ns, path))
        except OSError:
            continue
    if not candidates:
        return None
    newest = max(candidates)[1]
    own.parent.mkdir(parents=True, exist_ok=True)
    partial = own.with_name(f".{PARTIAL_PARSE_FILE}.{os.getpid()}.tmp")
    shutil.copyfile(newest, partial)
    os.replace(partial, own)  # dbt never reads half a file
    return newest


def seed_base_checkout(
    head: DbtProject, base: DbtProject, checkout: Path, config_folder: Path
) -> Path | None:
    """`seed_partial_parse` for the base `checkout` (`.floe/cache/base/<sha>/`) from the head
    and the other checkouts beside it. Nothing is copied when git tracks floe-ci's state
    (`.floe/`, which holds the head's partial parse file): a committed one is someone else's."""
    from dataclasses import replace

    from floe_ci.integrations.git.trusted_state import untrusted_state

    if untrusted_state(config_folder):
        return None
    try:
        inside = base.path.resolve().relative_to(checkout.resolve())
        # the base's target folder (in its checkout's `.floe/`): the same place in the others
        target = (base.path / base.target_path).resolve().relative_to(checkout.resolve())
    except ValueError:
        return None
    others = sorted(p for p in checkout.parent.iterdir() if p.is_dir() and p != checkout)
    donors = [head]
    for other in others:
        donors.append(replace(base, path=other / inside, target_path=str(other / target)))
    return seed_partial_parse(base, donors)
