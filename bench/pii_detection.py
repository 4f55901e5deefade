"""Precision and recall of FLOE201's name patterns on the real projects of the corpus.

    python bench/pii_detection.py [--corpus ../shared/corpus] [--work DIR] [--verbose]

For each corpus project (Fivetran's HubSpot and Shopify packages, run through their
`integration_tests/`), unpacks it into `--work` (a temporary folder by default; an unpacked
project with a manifest already there is reused), runs `dbt parse`, and judges every column
declared on a model or a source the way FLOE201 does, by its name and declared type, with the
patterns before the token-based matcher (a frozen copy, below) and with today's. The truth is
tests/data/pii_corpus_labels.json: which columns hold personal data, labelled by hand from
their descriptions (what counts is written at its top). A column counts as found when any
pii_type is suspected. Prints, per project and before/after: true and false positives, misses,
precision and recall; `--verbose` lists the false positives and the misses.

Seeds are not measured: their columns are the CSV headers of the integration tests' fixture
data, copies of the sources' columns, which are.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from floe_ci.governance.rules.detection import PiiPatterns
from floe_ci.spec.models import PiiDetectionConfig

REPO = Path(__file__).resolve().parent.parent
LABELS = REPO / "tests" / "data" / "pii_corpus_labels.json"
BIN = Path(sys.executable).parent
ENV = {**os.environ, "DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
PROJECTS = ("hubspot", "shopify")

# FLOE201's name patterns and exclusions before the token-based matcher (vocabulary.py at
# aa47521), kept here so the figures can be compared.
BEFORE_NAME_PATTERNS = {
    "email": r"e_?mail",
    "ip_address": r"(^|_)ip(_?addr(ess)?)?(_|$)|ipv[46]",
    "ssn": r"(^|_)ssn(_|$)|social_security",
    "birth_date": r"birth|(^|_)dob(_|$)",
    "phone": r"phone|mobile|msisdn|(^|_)(cell|fax)(_|$)",
    "name": r"(^|_)(first|last|full|middle|given|family|maiden|sur|customer|contact|person)_?name"
    r"(_|$)",
    "postal_code": r"post_?code|zip_?code|postal",
    "address": r"(^|_)(street|address|addr)(_|$)|address_line",
}
BEFORE_TYPE_PATTERNS = {"ip_address": r"^(inet|cidr)$", "device_id": r"^macaddr8?$"}
BEFORE_EXCLUSIONS = r"^(is|has)_|_(count|cnt|flag|verified|at|id|domain)$"

Column = tuple[str, str]  # (model name or `source_name.table`, column name lower case)
Judge = Callable[[str, str | None], str | None]  # (name, data_type) -> suspected pii_type


def before_judge() -> Judge:
    names = [(t, re.compile(p, re.IGNORECASE)) for t, p in BEFORE_NAME_PATTERNS.items()]
    types = [(t, re.compile(p, re.IGNORECASE)) for t, p in BEFORE_TYPE_PATTERNS.items()]
    exclusions = re.compile(BEFORE_EXCLUSIONS, re.IGNORECASE)

    def judge(name: str, data_type: str | None) -> str | None:
        if data_type:
            for pii_type, pattern in types:
                if pattern.search(data_type.strip()):
                    return pii_type
        if exclusions.search(name):
            return None
        return next((t for t, pattern in names if pattern.search(name)), None)

    return judge


def after_judge() -> Judge:
    patterns = PiiPatterns.from_config(PiiDetectionConfig())

    def judge(name: str, data_type: str | None) -> str | None:
        suspected = patterns.suspected_type(name, data_type)
        return suspected[0] if suspected else None

    return judge


def parse_project(corpus: Path, work: Path, project: str) -> dict[str, Any]:
    """The manifest of the project's integration_tests, unpacked and parsed if need be."""
    folder = work / f"dbt_{project}" / "integration_tests"
    manifest = folder / "target" / "manifest.json"
    if not manifest.exists():
        with tarfile.open(corpus / f"{project}.tar.gz") as archive:
            archive.extractall(work, filter="data")
        subprocess.run(
            [str(BIN / "dbt"), "parse", "--no-version-check", "--profiles-dir", "."],
            cwd=folder,
            env=ENV,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    loaded: dict[str, Any] = json.loads(manifest.read_text())
    return loaded


def declared_columns(manifest: Mapping[str, Any]) -> Iterator[tuple[Column, str, str | None]]:
    """((relation, column), name as declared, data_type) of every model and source."""
    nodes = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    for node in [*nodes, *manifest["sources"].values()]:
        relation = node["name"]
        if node["resource_type"] == "source":
            relation = f"{node['source_name']}.{relation}"
        for name, column in (node.get("columns") or {}).items():
            yield (relation, name.lower()), name, column.get("data_type")


def personal_columns(labels: Mapping[str, Any], columns: set[Column]) -> dict[Column, str]:
    """The labelled columns -> their pii_type; fails on a label naming nothing declared."""
    truth: dict[Column, str] = {}
    names = {column for _, column in columns}
    for column, pii_type in labels["personal"].items():
        excepted = set(labels["except"].get(column, {}).get("nodes", ()))
        found = {(r, c) for r, c in columns if c == column and r not in excepted}
        if not found or column not in names:
            raise SystemExit(f"label `{column}` matches no declared column")
        truth.update(dict.fromkeys(found, pii_type))
    for column, only in labels["only"].items():
        for relation in only["nodes"]:
            if (relation, column) not in columns:
                raise SystemExit(f"label `{relation}.{column}` matches no declared column")
            truth[(relation, column)] = only["type"]
    return truth


@dataclass
class Score:
    found: list[Column] = field(default_factory=list)
    false: list[Column] = field(default_factory=list)
    missed: list[Column] = field(default_factory=list)

    @property
    def precision(self) -> float:
        reported = len(self.found) + len(self.false)
        return len(self.found) / reported if reported else 1.0

    @property
    def recall(self) -> float:
        relevant = len(self.found) + len(self.missed)
        return len(self.found) / relevant if relevant else 1.0

    def line(self) -> str:
        return (
            f"precision {self.precision:.2f} ({len(self.found)} of "
            f"{len(self.found) + len(self.false)} reported), recall {self.recall:.2f} "
            f"({len(self.found)} of {len(self.found) + len(self.missed)} found)"
        )


def score(
    judge: Judge, columns: Mapping[Column, tuple[str, str | None]], truth: Mapping[Column, str]
) -> Score:
    result = Score()
    for key, (name, data_type) in sorted(columns.items()):
        suspected = judge(name, data_type) is not None
        if suspected and key in truth:
            result.found.append(key)
        elif suspected:
            result.false.append(key)
        elif key in truth:
            result.missed.append(key)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    parser.add_argument("--work", type=Path, help="where to unpack (default: a temp folder)")
    parser.add_argument("--verbose", action="store_true", help="list false positives, misses")
    args = parser.parse_args()
    labels = json.loads(LABELS.read_text())
    with tempfile.TemporaryDirectory(prefix="floe-pii-") as temporary:
        work = args.work or Path(temporary)
        work.mkdir(parents=True, exist_ok=True)
        for project in PROJECTS:
            manifest = parse_project(args.corpus, work, project)
            columns = {key: (name, dt) for key, name, dt in declared_columns(manifest)}
            truth = personal_columns(labels[project], set(columns))
            print(f"{project}: {len(columns)} declared columns, {len(truth)} personal")
            for title, judge in (("before", before_judge()), ("after", after_judge())):
                result = score(judge, columns, truth)
                print(f"  {title:6} {result.line()}")
                if args.verbose:
                    for what, keys in (("false", result.false), ("missed", result.missed)):
                        listed = ", ".join(f"{r}.{c}" for r, c in keys)
                        print(f"    {what} ({len(keys)}): {listed}")


if __name__ == "__main__":
    main()
