"""Run-time governance on real warehouses: non-production output holds no raw classified value.

DuckDB: the example is built by real dbt, then governed in place; every raw seed value of a
classified column is looked for in every model relation of the DuckDB file. PostgreSQL:
masking plus `restrict` through real grants, checked by reading as the roles.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from floe_ci.app.compile import compile_pipeline
from floe_ci.artifacts import CompiledArtifacts
from floe_ci.errors import FloeUsageError
from floe_ci.governance.enforcement import governance_category
from floe_ci.governance.policy_sql import governed_value_sql
from floe_ci.governance.sql_dialect import Dialect, SqlDialect, TypeFamily, type_family
from floe_ci.integrations.dbt.executor import DbtExecutor
from floe_ci.integrations.warehouse.connection import Relation
from floe_ci.integrations.warehouse.enforce import apply_runtime_governance
from floe_ci.spec.models import EnvironmentPolicy, PolicyAction
from tests.conftest import copy_example
from tests.fixtures.postgres import PostgresServer, use_postgres

pytestmark = pytest.mark.integration

MODELS = ("stg_customers", "stg_orders", "customers", "orders")


def dump(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    with duckdb.connect(str(db), read_only=True) as conn:
        return {m: conn.sql(f"select * from {m} order by all").fetchall() for m in MODELS}


def raw_classified_values(project: Path, artifacts: CompiledArtifacts) -> set[str]:
    """Every seed value in a seed column that feeds a classified model column (same name)."""
    classified = {c for cols in (artifacts.column_classifications or {}).values() for c in cols}
    values = set()
    for seed in (project / "seeds").glob("*.csv"):
        with seed.open() as handle:
            for row in csv.DictReader(handle):
                values.update(v for k, v in row.items() if k in classified and v)
    return values


@pytest.fixture(scope="module")
def shop_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The example built once; production governance applied, then non-production."""
    project = copy_example(tmp_path_factory.mktemp("gov") / "shop")
    artifacts = compile_pipeline(project / "floe.yaml")
    run = DbtExecutor(artifacts, project).build()
    assert run.success, run.failures
    relations = {n.name: str(n.relation) for n in run.built()}
    db = project / "target" / "shop.duckdb"
    built = dump(db)
    production = apply_runtime_governance(
        artifacts,
        project,
        category=governance_category(artifacts, "production"),
        relations=relations,
    )
    after_production = dump(db)
    staging = apply_runtime_governance(
        artifacts, project, category=governance_category(artifacts, "staging"), relations=relations
    )
    yield {
        "project": project,
        "artifacts": artifacts,
        "relations": relations,
        "db": db,
        "built": built,
        "production": production,
        "after_production": after_production,
        "staging": staging,
        "governed": dump(db),
    }


def test_production_output_is_untouched(shop_runs: dict[str, Any]) -> None:
    assert shop_runs["production"].outcomes == []
    assert shop_runs["after_production"] == shop_runs["built"]
    # ...and it is the raw data: production readers with the role see real values.
    emails = {row[3] for row in shop_runs["built"]["stg_customers"]}
    assert "ada@example.com" in emails


def test_no_raw_value_of_a_classified_column_is_readable_in_non_production(
    shop_runs: dict[str, Any],
) -> None:
    raw = raw_classified_values(shop_runs["project"], shop_runs["artifacts"])
    assert {"ada@example.com", "Lovelace", "+44 20 7946 0001", "1815-12-10", "4242"} <= raw
    with duckdb.connect(str(shop_runs["db"]), read_only=True) as conn:
        for relation in shop_runs["relations"].values():
            rows = conn.sql(f"select * from {relation}").fetchall()
            assert rows
            for row in rows:
                for cell in row:
                    text = str(cell)
                    assert text.lower() not in {v.lower() for v in raw}, (relation, cell)
                    if isinstance(cell, str):
                        leaked = [v for v in raw if len(v) >= 3 and v.lower() in text.lower()]
                        assert not leaked, (relation, cell, leaked)


def test_governed_values_keep_types_rows_and_unclassified_columns(
    shop_runs: dict[str, Any],
) -> None:
    built, governed = shop_runs["built"], shop_runs["governed"]
    for model in MODELS:
        assert len(governed[model]) == len(built[model])
    # customers: customer_id, full_name, email, country, signed_up_on, order_count, ...
    first = dict(zip(("id", "name", "email", "country"), governed["customers"][0], strict=False))
    assert first["name"] == "A***" and first["email"] == "a***@example.com"
    assert [r[3:] for r in governed["customers"]] == [r[3:] for r in built["customers"]]
    # orders.card_last4 (financial -> hash) stays an integer, deterministic per raw value.
    cards = {r[0]: r[5] for r in governed["orders"]}
    assert all(isinstance(c, int) for c in cards.values())
    assert cards[101] == cards[102]  # same card, same hash
    assert cards[101] != 4242
    birth_dates = [r[5] for r in governed["stg_customers"]]
    assert all(d.month == 1 and d.day == 1 for d in birth_dates)  # masked to the year


def test_report_names_every_classified_column(shop_runs: dict[str, Any]) -> None:
    report = shop_runs["staging"]
    assert report.category == "non_production"
    applied = {(o.model, o.column, o.action) for o in report.applied}
    assert applied == {
        ("customers", "email", "mask"),
        ("customers", "full_name", "mask"),
        ("orders", "card_last4", "hash"),
        ("stg_customers", "birth_date", "mask"),
        ("stg_customers", "email", "mask"),
        ("stg_customers", "first_name", "mask"),
        ("stg_customers", "last_name", "mask"),
        ("stg_customers", "phone", "mask"),
        ("stg_orders", "card_last4", "hash"),
    }
    assert "9 column(s) governed" in report.lines()[0]


def test_applying_again_changes_nothing(shop_runs: dict[str, Any]) -> None:
    again = apply_runtime_governance(
        shop_runs["artifacts"],
        shop_runs["project"],
        category="non_production",
        relations=shop_runs["relations"],
    )
    assert again.applied == []
    assert {o.status for o in again.outcomes} == {"already_governed"}
    assert dump(shop_runs["db"]) == shop_runs["governed"]


def test_a_rebuild_is_governed_again_from_the_manifest(tmp_path: Path) -> None:
    project = copy_example(tmp_path / "shop")
    artifacts = compile_pipeline(project / "floe.yaml")
    executor = DbtExecutor(artifacts, project)
    assert executor.build().success
    apply_runtime_governance(artifacts, project, category="non_production")
    assert executor.run(select=["customers"]).success  # dbt replaces it with raw data
    report = apply_runtime_governance(artifacts, project, category="non_production")
    assert {(o.model, o.status) for o in report.outcomes if o.model == "customers"} == {
        ("customers", "applied")
    }
    assert {o.status for o in report.outcomes if o.model != "customers"} == {"already_governed"}
    emails = {r[2] for r in dump(project / "target" / "shop.duckdb")["customers"]}
    assert "ada@example.com" not in emails and "a***@example.com" in emails


def test_restrict_on_duckdb_is_reported_not_pretended(tmp_path: Path) -> None:
    project = copy_example(tmp_path / "shop")
    artifacts = compile_pipeline(project / "floe.yaml")
    artifacts.governance.policies["pii"].non_production = EnvironmentPolicy(
        action=PolicyAction.RESTRICT, requires_role=["pii_reader"]
    )
    assert DbtExecutor(artifacts, project).build(select=["+customers"]).success
    report = apply_runtime_governance(
        artifacts,
        project,
        category="non_production",
        relations={"customers": "shop.main.customers"},
    )
    assert {o.status for o in report.outcomes} == {"not_supported"}
    assert all("duckdb has no GRANT/REVOKE" in o.detail for o in report.outcomes)


def test_environment_names_choose_the_policies(shop_runs: dict[str, Any]) -> None:
    artifacts = shop_runs["artifacts"]
    assert governance_category(artifacts, "production") == "production"
    assert governance_category(artifacts, "staging") == "non_production"
    assert governance_category(artifacts) == "non_production"  # a local run
    with pytest.raises(FloeUsageError, match=r"unknown environment `prod`.*production, staging"):
        governance_category(artifacts, "prod")


# --- the value transformations, identical on both engines ----------------------------------

SAMPLES: list[tuple[str, str, str | None, str]] = [
    # (column, sql type, pii_type, raw value as SQL literal)
    ("email", "VARCHAR", "email", "'Grace.Hopper@navy.mil'"),
    ("full_name", "VARCHAR", "name", "'Grace Hopper'"),
    ("phone", "VARCHAR", "phone", "'+1 202 555 0103'"),
    ("ssn", "VARCHAR", "ssn", "'078-05-1120'"),
    ("ip", "VARCHAR", "ip_address", "'10.1.2.3'"),
    ("card", "VARCHAR", "credit_card", "'4111 1111 1111 1111'"),
    ("born", "DATE", "birth_date", "DATE '1906-12-09'"),
    ("salary", "INTEGER", "other", "123456"),
    ("age", "SMALLINT", "other", "41"),  # generated numbers must fit narrow types
    ("score", "DECIMAL(6,2)", "other", "1234.56"),
]


def governed_rows(run_sql: Any, dialect: Dialect, action: PolicyAction) -> dict[str, Any]:
    sql = SqlDialect(dialect)
    exprs = [
        governed_value_sql(action, col, typ, type_family(typ), pii, sql) + f' AS "{col}"'
        for col, typ, pii, _ in SAMPLES
    ]
    source = ", ".join(f'CAST({lit} AS {typ}) AS "{col}"' for col, typ, _, lit in SAMPLES)
    nulls = ", ".join(f'CAST(NULL AS {typ}) AS "{col}"' for col, typ, _, _ in SAMPLES)
    # Order by the source row, not by a governed column: masking can make both rows NULL.
    query = (
        f"SELECT {', '.join(exprs)} FROM (SELECT {source}, 0 AS source_row UNION ALL "
        f"SELECT {nulls}, 1 AS source_row) AS t ORDER BY t.source_row"
    )
    rows = run_sql(query)
    assert all(value is None for value in rows[1]), "NULL must stay NULL"
    return dict(zip([s[0] for s in SAMPLES], rows[0], strict=True))


def duckdb_sql(query: str) -> list[tuple[Any, ...]]:
    with duckdb.connect() as conn:
        return conn.sql(query).fetchall()


@pytest.fixture(scope="module")
def postgres_sql(postgres_server: PostgresServer) -> Any:
    def run(query: str) -> list[tuple[Any, ...]]:
        conn = postgres_server.connect()
        try:
            cur = conn.cursor()
            cur.execute(query)
            return [tuple(row) for row in cur.fetchall()]
        finally:
            conn.close()

    return run


@pytest.mark.parametrize("action", [a for a in PolicyAction if a != PolicyAction.RESTRICT])
def test_actions_agree_between_duckdb_and_postgres(action: PolicyAction, postgres_sql: Any) -> None:
    on_duckdb = governed_rows(duckdb_sql, Dialect.DUCKDB, action)
    on_postgres = governed_rows(postgres_sql, Dialect.POSTGRES, action)
    assert on_duckdb == on_postgres
    raw = {"Grace.Hopper@navy.mil", "Grace Hopper", "+1 202 555 0103", "078-05-1120", "10.1.2.3"}
    assert not raw & {str(v) for v in on_duckdb.values()}
    assert on_duckdb["born"] != dt.date(1906, 12, 9)


def test_action_results() -> None:
    mask = governed_rows(duckdb_sql, Dialect.DUCKDB, PolicyAction.MASK)
    assert mask["email"] == "G***@navy.mil"
    assert mask["phone"] == "*************03"
    assert mask["born"] == dt.date(1906, 1, 1) and mask["salary"] is None
    hashed = governed_rows(duckdb_sql, Dialect.DUCKDB, PolicyAction.HASH)
    assert hashed["email"] == hashlib.sha256(b"Grace.Hopper@navy.mil").hexdigest()
    assert hashed["salary"] == int(hashlib.md5(b"123456").hexdigest()[:7], 16)
    assert 0 <= hashed["age"] < 32767 and 0 <= hashed["score"] < 10000
    redacted = governed_rows(duckdb_sql, Dialect.DUCKDB, PolicyAction.REDACT)
    assert redacted["email"] == "[REDACTED]" and redacted["born"] is None
    fake = governed_rows(duckdb_sql, Dialect.DUCKDB, PolicyAction.SYNTHESIZE)
    assert fake["email"].endswith("@example.com") and "." in fake["email"].split("@")[0]
    assert len(fake["full_name"].split(" ")) == 2
    assert fake["phone"].startswith("+1 555 01") and len(fake["phone"]) == 11
    assert fake["ssn"].startswith("9") and len(fake["ssn"]) == 11
    assert fake["ip"].startswith("192.0.2.")
    assert fake["card"].startswith("4000 0000 0000 ")
    assert dt.date(1950, 1, 1) <= fake["born"] < dt.date(2000, 1, 1)
    assert fake == governed_rows(duckdb_sql, Dialect.DUCKDB, PolicyAction.SYNTHESIZE)


def test_type_families_and_relation_names() -> None:
    assert type_family("character varying(20)") == TypeFamily.TEXT
    assert type_family("DECIMAL(18,3)") == TypeFamily.NUMBER
    assert type_family("timestamp with time zone") == TypeFamily.TIMESTAMP
    assert type_family("BOOLEAN") == TypeFamily.OTHER
    assert Relation.parse('"my db"."main"."odd""name"') == Relation("my db", "main", 'odd"name')
    assert Relation.parse("shop.main.orders") == Relation("shop", "main", "orders")


# --- PostgreSQL: masking and restrict through grants ---------------------------------------


@pytest.fixture(scope="module")
def pg_governed(
    tmp_path_factory: pytest.TempPathFactory,
    postgres_server: PostgresServer,
) -> Iterator[dict[str, Any]]:
    project = copy_example(tmp_path_factory.mktemp("pggov") / "shop")
    use_postgres(project, postgres_server, "gov_pg", "gov")
    config = project / "floe.yaml"
    spec = yaml.safe_load(config.read_text())
    spec["governance"]["policies"]["financial"]["non_production"] = {
        "action": "restrict",
        "requires_role": ["finance", "auditor"],
    }
    config.write_text(yaml.safe_dump(spec, sort_keys=False))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GOV_PG_USER", postgres_server.user)
        patch.setenv("GOV_PG_PASSWORD", postgres_server.password)
        artifacts = compile_pipeline(config)
        run = DbtExecutor(artifacts, project).build()
        assert run.success, run.failures
        conn = postgres_server.connect()
        conn.autocommit = True
        cur = conn.cursor()
        for role in ("analyst", "finance"):
            cur.execute(f"DROP ROLE IF EXISTS {role}; CREATE ROLE {role}")
        cur.execute("GRANT USAGE ON SCHEMA gov TO analyst, finance")
        cur.execute("GRANT SELECT ON ALL TABLES IN SCHEMA gov TO analyst")
        relations = {n.name: str(n.relation) for n in run.built()}
        report = apply_runtime_governance(
            artifacts, project, category="non_production", relations=relations
        )
        yield {"cursor": cur, "report": report}
        conn.close()


def read_as(cur: Any, role: str, query: str) -> list[tuple[Any, ...]] | str:
    cur.execute(f"SET ROLE {role}")
    try:
        cur.execute(query)
        return [tuple(r) for r in cur.fetchall()]
    except Exception as exc:  # psycopg2.errors.InsufficientPrivilege
        return type(exc).__name__
    finally:
        cur.execute("RESET ROLE")


def test_postgres_masks_in_place(pg_governed: dict[str, Any]) -> None:
    cur = pg_governed["cursor"]
    cur.execute("SELECT email, full_name FROM gov.customers ORDER BY customer_id")
    assert cur.fetchall()[0] == ("a***@example.com", "A***")
    cur.execute("SELECT first_name, phone FROM gov.stg_customers ORDER BY customer_id")
    assert cur.fetchall()[0] == ("A***", "**************01")


def test_postgres_restrict_removes_access_for_roles_not_listed(pg_governed: dict[str, Any]) -> None:
    cur = pg_governed["cursor"]
    assert read_as(cur, "analyst", "SELECT card_last4 FROM gov.orders") == "InsufficientPrivilege"
    assert (
        read_as(cur, "analyst", "SELECT card_last4 FROM gov.stg_orders") == "InsufficientPrivilege"
    )
    assert len(read_as(cur, "analyst", "SELECT order_id, amount FROM gov.orders")) == 10
    finance = read_as(cur, "finance", "SELECT card_last4 FROM gov.orders ORDER BY order_id")
    assert finance[0] == (4242,)  # restrict keeps the value; only who may read it changes
    report = pg_governed["report"]
    restricted = {(o.model, o.status) for o in report.outcomes if o.action == "restrict"}
    assert restricted == {("orders", "applied"), ("stg_orders", "applied")}
    assert any("`auditor` (requires_role) does not exist" in note for note in report.notes)


def test_view_definitions_are_read_back_for_odd_names(tmp_path: Path) -> None:
    from floe_ci.integrations.warehouse.connection import DuckDBWarehouse

    db = tmp_path / "odd.duckdb"
    with duckdb.connect(str(db)) as conn:
        conn.sql('CREATE SCHEMA "my schema"')
        conn.sql('CREATE VIEW "my schema"."v x" AS WITH a AS (SELECT 1 AS x) SELECT x FROM a')
        conn.sql('CREATE VIEW "my schema".v2 (renamed) AS SELECT 2')
    with DuckDBWarehouse.open(str(db)) as warehouse:
        query, columns = warehouse.view_query(Relation("odd", "my schema", "v x"))
        assert columns is None and warehouse.query(query) == [(1,)]
        query, columns = warehouse.view_query(Relation("odd", "my schema", "v2"))
        assert columns == "(renamed)"
        assert warehouse.query(f"SELECT renamed FROM ({query}) AS t {columns}") == [(2,)]


def test_a_relation_that_cannot_be_governed_is_an_error_naming_it(tmp_path: Path) -> None:
    project = copy_example(tmp_path / "shop")
    artifacts = compile_pipeline(project / "floe.yaml")
    artifacts.governance.policies["financial"].non_production = EnvironmentPolicy(
        action=PolicyAction.REDACT
    )
    run = DbtExecutor(artifacts, project).build()
    assert run.success
    db = project / "target" / "shop.duckdb"
    with duckdb.connect(str(db)) as conn:
        conn.sql("ALTER TABLE orders ALTER card_last4 SET NOT NULL")  # redact needs NULL
    relations = {n.name: str(n.relation) for n in run.built()}
    with pytest.raises(FloeUsageError) as caught:
        apply_runtime_governance(artifacts, project, category="non_production", relations=relations)
    [problem] = caught.value.problems
    assert "model `orders`" in problem.message and "NOT NULL" in problem.message
    governed = dump(db)
    assert {r[5] for r in governed["orders"]} >= {4242}  # rolled back, and said so
    assert all(r[5] is None for r in governed["stg_orders"])  # the others were governed
