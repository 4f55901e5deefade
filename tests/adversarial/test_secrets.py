"""Attack 1: a secret value never leaves the process.

A model that reads `env_var('DB_PASSWORD')` into a connection string, and one that reads the
action's token, are checked with every output format; then every file floe-ci (and the dbt
it runs) left in the project, and what it printed, is searched for the secret values."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import copy_example

pytestmark = pytest.mark.e2e

PASSWORD = "pw-Zq81vK2mXo93"
TOKEN = "ghs_adversarialTokenValue4711"
SECRET_MODEL = """\
select c.email, c.customer_id, s.*
from {{ ref('stg_customers') }} as c
cross join postgres_scan(
    'host=db user=app password={{ env_var("DB_PASSWORD") }}', 'public', 'x'
) as s
"""
TOKEN_MODEL = """\
select customer_id, email, '{{ env_var("INPUT_GITHUB-TOKEN") }}' as marker
from {{ ref('stg_customers') }}
"""


def _check(project: Path, env: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    out = project / "out"
    out.mkdir(exist_ok=True)
    args = ["check", "-c", str(project / "floe.yaml"), "--fail-on", "never"]
    for fmt in ("json", "sarif", "markdown"):
        args += ["-f", f"{fmt}={out / ('report.' + fmt)}"]
    return subprocess.run(
        [str(Path(sys.executable).parent / "floe-ci"), *args, *extra],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        cwd=project,
    )


def _leaks(root: Path, secrets: list[str]) -> list[str]:
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            found += [f"{path.relative_to(root)}: {s[:4]}…" for s in secrets if s.encode() in data]
    return found


def test_no_secret_value_in_any_output_file_log_or_cache(tmp_path: Path) -> None:
    project = copy_example(tmp_path / "shop")
    (project / "models" / "marts" / "scanned.sql").write_text(SECRET_MODEL)
    (project / "models" / "marts" / "tokened.sql").write_text(TOKEN_MODEL)
    env = {
        **os.environ,
        "DB_PASSWORD": PASSWORD,
        "INPUT_GITHUB-TOKEN": TOKEN,
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    for fmt in ("console", "json", "github", "markdown"):
        run = _check(project, env, "-f", fmt)
        assert run.returncode == 0, run.stderr
        printed = run.stdout + run.stderr
        assert PASSWORD not in printed and TOKEN not in printed, fmt
    # The unresolved table function is still reported, naming the construct.
    report = (project / "out" / "report.json").read_text()
    assert "postgres_scan" in report.lower()
    assert _leaks(project, [PASSWORD, TOKEN]) == []


def test_floe_cis_renderer_follows_dbts_env_var_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    from floe_ci.integrations.dbt.jinja_render import JinjaRenderer

    monkeypatch.setenv("DBT_ENV_SECRET_WAREHOUSE", "sekrit-value-1")
    monkeypatch.setenv("DB_PASSWORD", PASSWORD)
    monkeypatch.setenv("REGION", "eu-west-1")
    renderer = JinjaRenderer({}, None, lambda *a: None, lambda *a: None)

    def node(code: str) -> dict[str, object]:
        return {"unique_id": "model.p.m", "raw_code": code, "relation_name": '"m"'}

    refused = node("select '{{ env_var('DBT_ENV_SECRET_WAREHOUSE') }}' as a")
    assert renderer.render(refused) is None
    assert "DBT_ENV_SECRET_WAREHOUSE" in renderer.refused["model.p.m"]
    assert "profiles.yml" in renderer.refused["model.p.m"]
    rendered = renderer.render(node("select '{{ env_var('DB_PASSWORD') }}' as a"))
    assert rendered is not None and PASSWORD not in rendered
    # A plain variable the model names is read as it is (it may shape the SQL).
    assert (
        renderer.render(node("select '{{ env_var('REGION') }}' as r")) == "select 'eu-west-1' as r"
    )


def test_every_file_written_goes_through_the_redaction_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from floe_ci.fsutil import write_atomic

    monkeypatch.setenv("SNOWFLAKE_PASSWORD", 'p"w\\secret-42')
    write_atomic(tmp_path / "a.json", '{"sql": "password=p\\"w\\\\secret-42"}')
    write_atomic(tmp_path / "b.txt", b'raw p"w\\secret-42 bytes')
    assert "secret-42" not in (tmp_path / "a.json").read_text()
    assert b"secret-42" not in (tmp_path / "b.txt").read_bytes()
