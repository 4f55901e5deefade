"""`floe-ci classify --sample` on a built warehouse: DuckDB and the test PostgreSQL server.

A small dbt project seeds e-mails, phones, SSNs and birth dates into columns whose names give
nothing away (`ref_a`, `c1`, ...), builds on the warehouse, and classify finds them from
the values. No sampled value may appear in anything the command prints.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from floe_ci.app.compile import compile_pipeline
from floe_ci.integrations.dbt.executor import DbtExecutor
from tests.fixtures.postgres import PostgresServer, use_postgres

pytestmark = pytest.mark.integration

FLOE_CI = str(Path(sys.executable).with_name("floe-ci"))
ROWS = [
    ("1", "ann.lee@example.com", "+1 415 555 0101", "123-45-6701", "plain", "1961-03-04"),
    ("2", "bo.wu@mail.example.org", "(212) 555-0102", "123-45-6702", "words", "1975-11-30"),
    ("3", "cy@corp.example.net", "+44 20 7946 0103", "219-09-9103", "here", "1988-07-14"),
    ("4", "dee+news@example.com", "030 1234 5104", "078-05-1104", "only", "1992-01-09"),
    ("5", "eve_k@example.io", "+49 30 901820 05", "536-90-4105", "noise", "1958-05-22"),
    ("6", "finn@example.de", "(415) 555-0106", "111-22-3106", "text", "2001-12-01"),
    ("7", "gus@example.fr", "+33 1 09 75 83 07", "222-33-4107", "again", "1969-08-17"),
    ("8", "hal@example.co.uk", "555-010-0108", "333-44-5108", "fill", "1983-02-28"),
]
HEADER = ("id", "ref_a", "ref_b", "ref_c", "note", "born")
SECRET_VALUES = [cell for row in ROWS for cell in row[1:4]] + [row[5] for row in ROWS]


def _project(root: Path) -> Path:
    (root / "seeds").mkdir(parents=True)
    (root / "models").mkdir()
    (root / "dbt_project.yml").write_text(
        "name: sampled\nprofile: sampled\nconfig-version: 2\nseed-paths: [seeds]\n"
        "model-paths: [models]\nseeds:\n  sampled:\n    +column_types: {born: date}\n"
    )
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([HEADER, *ROWS])
    (root / "seeds" / "people.csv").write_text(out.getvalue())
    (root / "models" / "contacts.sql").write_text(
        "select id, ref_a as c1, ref_b as c2, ref_c as c3, note, born as d1\n"
        "from {{ ref('people') }}\n"
    )
    (root / "floe.yaml").write_text(
        "name: sampled\ncompute:\n  target: duckdb\n  properties: {path: warehouse.duckdb}\n"
        "transforms: [{type: dbt, path: .}]\ngovernance:\n  policies:\n    pii:\n"
        "      production: {action: restrict, requires_role: [pii_reader]}\n"
        "      non_production: {action: mask}\n"
    )
    return root


def _build(project: Path) -> None:
    result = DbtExecutor(compile_pipeline(project / "floe.yaml"), project).build()
    assert result.success, [(n.name, n.message) for n in result.failures] or result.error


def _classify(project: Path, *args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [FLOE_CI, "classify", "--sample", "--rows", "50", *args],
        cwd=project,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    for value in SECRET_VALUES:
        assert value not in output, "a sampled value was printed"
    return output


def _assert_found(output: str) -> None:
    for label, pii_type in (
        ("contacts.c1", "email"),
        ("contacts.c2", "phone"),
        ("contacts.c3", "ssn"),
        ("contacts.d1", "birth_date"),
        ("people.ref_a", "email"),
        ("people.ref_c", "ssn"),
    ):
        assert f"{label}: pii ({pii_type}," in output, output
    assert "8 of 8 sampled values look like e-mail addresses" in output
    assert "contacts.note" not in output and "contacts.id" not in output


def test_sampling_duckdb_finds_what_names_hide(tmp_path: Path) -> None:
    project = _project(tmp_path / "sampled")
    _build(project)
    names_only = _classify_names(project)
    assert "contacts.c1" not in names_only  # the names give nothing away
    _assert_found(_classify(project))
    written = _classify(project, "--write")
    assert "wrote" in written
    properties = (project / "models" / "_floe_classifications.yml").read_text()
    assert (
        "- name: c3\n        meta: {floe: {classification: pii, pii_type: ssn, "
        "sensitivity: critical}}" in properties
    )


def _classify_names(project: Path) -> str:
    done = subprocess.run(
        [FLOE_CI, "classify"], cwd=project, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_sampling_postgres_finds_what_names_hide(
    tmp_path: Path, postgres_server: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _project(tmp_path / "sampled")
    use_postgres(project, postgres_server, "sample-pg", "sampled")
    env = {"SAMPLE_PG_USER": postgres_server.user, "SAMPLE_PG_PASSWORD": postgres_server.password}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    _build(project)
    output = _classify(project, env=env)
    _assert_found(output)
    assert postgres_server.password not in output
