"""Column lineage on real dbt output: paths, star expansion, Jinja, cache, warehouse truth."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from bench.generate_project import generate
from floe_ci.integrations.dbt.compile_job import start_dbt_compile
from floe_ci.integrations.dbt.compiled_sql import obtain_compiled_sql
from floe_ci.integrations.dbt.lineage import CACHE_FILE, build_column_lineage
from floe_ci.integrations.dbt.parse import load_manifest, run_dbt_parse, write_parse_profile
from floe_ci.integrations.dbt.project import DbtProject, read_project
from floe_ci.lineage import ColumnLineage, ColumnRef
from tests.conftest import PARSED_MANIFEST, REPO_ROOT

pytestmark = pytest.mark.integration

FIXTURE = REPO_ROOT / "tests" / "data" / "lineage_project"
# Models that read relations dbt does not build; left out when the fixture is built.
NOT_BUILDABLE = ["stg_accounts", "external_report"]


def _copy_fixture(dest: Path) -> DbtProject:
    shutil.copytree(FIXTURE, dest, ignore=shutil.ignore_patterns("target", "logs", ".floe"))
    return read_project(dest, str(dest))


def _parse(project: DbtProject) -> dict[str, object]:
    return load_manifest(run_dbt_parse(project, project.path / ".floe"))


@pytest.fixture(scope="module")
def fixture_project(tmp_path_factory: pytest.TempPathFactory) -> DbtProject:
    return _copy_fixture(tmp_path_factory.mktemp("lineage") / "project")


@pytest.fixture(scope="module")
def lineage(fixture_project: DbtProject) -> ColumnLineage:
    return build_column_lineage(_parse(fixture_project), fixture_project, None)


def _m(name: str) -> str:
    return f"model.lineage_fixture.{name}"


def _paths(lineage: ColumnLineage, model: str, column: str) -> set[str]:
    return {" -> ".join(map(str, p)) for p in lineage.paths_from(_m(model), column).values()}


def test_example_shop_email_reaches_customers(parsed_shop: Path) -> None:
    manifest = load_manifest(parsed_shop / PARSED_MANIFEST)
    lineage = build_column_lineage(manifest, parsed_shop, None)
    assert lineage.upstream("model.shop.customers", "email") == [
        ColumnRef("model.shop.stg_customers", "stg_customers", "email")
    ]
    paths = {
        " -> ".join(map(str, p))
        for p in lineage.paths_from("model.shop.stg_customers", "email").values()
    }
    assert paths == {"stg_customers.email -> customers.email"}
    assert {str(r) for r in lineage.upstream("model.shop.customers", "full_name")} == {
        "stg_customers.first_name",
        "stg_customers.last_name",
    }
    assert lineage.origin("model.shop.customers", "full_name").transform == "expression"  # type: ignore[union-attr]
    assert all(lineage.unresolved(uid) == {} for uid in lineage.models())


def test_pii_renamed_through_a_cte(lineage: ColumnLineage) -> None:
    assert [str(r) for r in lineage.upstream(_m("customer_contacts"), "contact_email")] == [
        "stg_customers.email"
    ]
    assert lineage.origin(_m("customer_contacts"), "contact_email").transform == "copy"  # type: ignore[union-attr]
    paths = _paths(lineage, "stg_customers", "email")
    assert "stg_customers.email -> customer_contacts.contact_email" in paths
    assert "stg_customers.email -> customer_contacts.contact_email -> contact_list.email" in paths


def test_pii_renamed_through_a_join(lineage: ColumnLineage) -> None:
    assert "stg_customers.email -> order_contacts.contact_email" in _paths(
        lineage, "stg_customers", "email"
    )
    phone = lineage.origin(_m("order_contacts"), "contact_phone")
    assert phone is not None and phone.transform == "expression"
    assert [str(r) for r in phone.upstream] == ["stg_customers.phone"]
    # the correlated subquery reads stg_orders, not the outer query's columns
    assert [str(r) for r in lineage.upstream(_m("order_contacts"), "orders_of_customer")] == []
    # and the path back from the mart to the seed
    back = lineage.paths_to(_m("order_contacts"), "contact_email")
    seed_email = ColumnRef("seed.lineage_fixture.raw_customers", "raw_customers", "email")
    assert [str(r) for r in back[seed_email]] == [
        "raw_customers.email",
        "stg_customers.email",
        "order_contacts.contact_email",
    ]


def test_select_star_is_expanded_from_the_parents(lineage: ColumnLineage) -> None:
    stg = lineage.columns(_m("stg_customers"))
    assert stg == ["customer_id", "first_name", "last_name", "email", "phone", "country"]
    assert lineage.columns(_m("customers")) == stg  # no declared columns: the engine's own
    assert sorted(lineage.downstream(_m("stg_customers"), "email")) == [
        ColumnRef(_m("customer_contacts"), "customer_contacts", "contact_email"),
        ColumnRef(_m("customers"), "customers", "email"),
        ColumnRef(_m("order_contacts"), "order_contacts", "contact_email"),
    ]
    # a source's declared columns expand `*`
    assert lineage.columns(_m("stg_accounts")) == [
        "account_id",
        "owner_email",
        "region",
        "region_code",
    ]
    assert lineage.upstream(_m("stg_accounts"), "owner_email") == [
        ColumnRef("source.lineage_fixture.crm.accounts", "accounts", "owner_email")
    ]


def test_union_merges_both_branches(lineage: ColumnLineage) -> None:
    assert {str(r) for r in lineage.upstream(_m("contact_list"), "email")} == {
        "customer_contacts.contact_email",
        "order_contacts.contact_email",
    }
    assert lineage.upstream(_m("contact_list"), "kind") == []
    assert lineage.unresolved(_m("contact_list")) == {}


def test_unresolvable_model_is_reported_not_guessed(lineage: ColumnLineage) -> None:
    unresolved = lineage.unresolved(_m("external_report"))
    assert list(unresolved) == ["customer_email"]  # its declared columns carry the reason
    assert "read_csv_auto" in unresolved["customer_email"].lower()
    assert lineage.columns(_m("external_report")) is None
    assert lineage.stats.failed_models == 1


def test_jinja_models_render_in_process_or_with_dbt(lineage: ColumnLineage) -> None:
    # stg_orders calls a project macro: Jinja renders it in-process
    assert lineage.stats.compiled_sql_jinja == 1
    amount = lineage.origin(_m("stg_orders"), "amount")
    assert amount is not None and amount.transform == "expression"
    assert [str(r) for r in amount.upstream] == ["raw_orders.amount_cents"]
    # orders_loaded calls an adapter-dispatched macro: `dbt compile` renders it
    assert lineage.stats.compiled_sql_from_dbt == 1
    assert lineage.columns(_m("orders_loaded")) == ["order_id", "amount", "loaded_at"]
    assert [str(r) for r in lineage.upstream(_m("orders_loaded"), "amount")] == [
        "stg_orders.amount"
    ]
    assert lineage.upstream(_m("orders_loaded"), "loaded_at") == []


def test_rendered_sql_is_what_dbt_compile_writes(fixture_project: DbtProject) -> None:
    manifest = load_manifest(fixture_project.manifest_path)
    ours = obtain_compiled_sql(manifest, None, None)
    assert (ours.rendered, ours.rendered_jinja) == (7, 1)
    assert list(ours.failures) == [_m("orders_loaded")]  # needs dbt
    work = fixture_project.path / ".floe" / "compare"
    target = work / "target"
    target.mkdir(parents=True)
    profiles = write_parse_profile(fixture_project, work)
    job = start_dbt_compile(fixture_project.path, profiles, target, work / "logs", ["*"])
    dbt_sql, error, errors = job.result()
    assert error is None and errors == {}
    for uid, sql in ours.sql.items():
        assert " ".join(sql.split()) == " ".join(dbt_sql[uid].split()), uid


def test_dispatched_and_package_macros_render_in_dbts_context_as_dbt_compiles_them(
    tmp_path: Path,
) -> None:
    """dbt's cross-database macros (`adapter.dispatch` to the adapter's override or
    `default__`), `return()`, a relation's attributes and a macro called by its package's
    name render in-process (jinja_dbt_context); the oracle is dbt compile of the same
    models on the same parse profile. A model reading `graph` still goes to dbt."""
    project = _copy_fixture(tmp_path / "project")
    staging = project.path / "models" / "staging"
    (staging / "stamped.sql").write_text(
        "select order_id, {{ dbt.current_timestamp() }} as stamped_at,\n"
        "  {{ dbt.concat([\"'a'\", 'order_id']) }} as tagged,\n"
        "  {{ dbt.safe_cast('amount_cents', api.Column.translate_type('string')) }} as raw,\n"
        "  '{{ ref('stg_orders').identifier }}' as parent,\n"
        "  {{ lineage_fixture.cents_to_dollars('amount_cents') }} as amount\n"
        "from {{ ref('raw_orders') }}\n"
    )
    manifest = _parse(project)
    ours = obtain_compiled_sql(manifest, project, tmp_path / "work")
    stamped = "model.lineage_fixture.stamped"
    assert stamped in ours.sql, ours.failures.get(stamped)
    assert _m("orders_loaded") in ours.pending  # reads `graph`: dbt compiles it
    ours.cancel()
    work = tmp_path / "compare"
    target = work / "target"
    target.mkdir(parents=True)
    profiles = write_parse_profile(project, work)
    job = start_dbt_compile(project.path, profiles, target, work / "logs", ["*"])
    dbt_sql, error, errors = job.result()
    assert error is None and errors == {}
    assert " ".join(ours.sql[stamped].split()) == " ".join(dbt_sql[stamped].split())
    assert "now()" in ours.sql[stamped]  # dbt-duckdb's own current_timestamp


def test_cache_hits_and_misses(tmp_path: Path) -> None:
    project = _copy_fixture(tmp_path / "project")
    cache = tmp_path / "cache"
    models = 9

    first = build_column_lineage(_parse(project), project, cache)
    assert (first.stats.analysed, first.stats.cache_hits) == (models, 0)
    assert first.stats.compiled_sql_from_dbt == 1
    assert (cache / CACHE_FILE).is_file()

    manifest = load_manifest(project.manifest_path)
    second = build_column_lineage(manifest, project, cache)
    assert (second.stats.analysed, second.stats.cache_hits) == (0, models)
    # the Jinja model's SQL comes from the cache: dbt is not run again
    assert (second.stats.compiled_sql_from_dbt, second.stats.compiled_sql_cached) == (0, 1)
    assert second.upstream(_m("customer_contacts"), "contact_email") == first.upstream(
        _m("customer_contacts"), "contact_email"
    )

    # one model changed, same columns: only it is analysed again
    sql = project.path / "models" / "marts" / "order_contacts.sql"
    sql.write_text(sql.read_text().replace("'unknown'", "'n/a'"))
    third = build_column_lineage(_parse(project), project, cache)
    assert (third.stats.analysed, third.stats.cache_hits) == (1, models - 1)

    # a parent gains a column: it and its children (whose parent columns changed) recompute
    stg = project.path / "models" / "staging" / "stg_customers.sql"
    stg.write_text(stg.read_text().replace("    country\n", "    country,\n    1 as vip\n"))
    fourth = build_column_lineage(_parse(project), project, cache)
    # stg_customers, customers, customer_contacts, order_contacts
    assert fourth.stats.analysed == 4
    assert fourth.columns(_m("customers"))[-1] == "vip"  # type: ignore[index]

    # an unreadable cache is an empty one
    (cache / CACHE_FILE).write_text("{not json")
    fifth = build_column_lineage(load_manifest(project.manifest_path), project, cache)
    assert (fifth.stats.analysed, fifth.stats.cache_hits) == (models, 0)
    assert json.loads((cache / CACHE_FILE).read_bytes().partition(b"\n")[2])["engine"]


def _warehouse_columns(database: Path, schema: str = "main") -> dict[str, list[str]]:
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute(
            "select table_name, column_name from information_schema.columns"
            " where table_schema = ? order by table_name, ordinal_position",
            [schema],
        ).fetchall()
    tables: dict[str, list[str]] = {}
    for table, column in rows:
        tables.setdefault(table, []).append(column.lower())
    return tables


def _build(project: DbtProject, exclude: list[str]) -> Path:
    """`dbt build` into a DuckDB file, in a child process (dbt-duckdb keeps it open)."""
    database = project.path / "warehouse.duckdb"
    profiles = project.path / ".floe" / "build-profile"
    profiles.mkdir(parents=True)
    (profiles / "profiles.yml").write_text(
        f"{project.profile}:\n  target: dev\n  outputs:\n"
        f"    dev: {{type: duckdb, path: '{database}', threads: 2}}\n"
    )
    dbt = str(Path(sys.executable).parent / "dbt")
    args = [dbt, "build", "--project-dir", str(project.path), "--profiles-dir", str(profiles)]
    args += ["--target-path", str(project.path / ".floe" / "build-target"), "--no-version-check"]
    args += ["--log-path", str(project.path / ".floe" / "logs")]
    if exclude:
        args += ["--exclude", *exclude]
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout[-3000:]
    return database


def test_lineage_columns_match_the_warehouse(tmp_path: Path) -> None:
    """Every model's traced columns, in order, are the columns DuckDB actually built."""
    generated = read_project(generate(tmp_path / "generated", models=40, seed=3), "generated")
    fixture = _copy_fixture(tmp_path / "fixture")
    for project, exclude in ((generated, []), (fixture, NOT_BUILDABLE)):
        lineage = build_column_lineage(_parse(project), project, None)
        built = _warehouse_columns(_build(project, exclude))
        checked = 0
        for uid in lineage.models():
            name = uid.rsplit(".", 1)[-1]
            if name in exclude:
                continue
            assert lineage.columns(uid) == built[name], uid
            assert lineage.unresolved(uid) == {}, uid
            checked += 1
        assert checked == len(lineage.models()) - len(exclude)


PACKAGE_FIXTURE = REPO_ROOT / "tests" / "data" / "package_project"


def test_a_local_packages_nodes_resolve_and_are_named_at_their_source(tmp_path: Path) -> None:
    """`dbt deps` installs the local package into the gitignored dbt_packages/; the check
    names the package's own files, reads its seed there and compiles its Jinja model."""
    from floe_ci.app.check import collect_check
    from floe_ci.governance.evaluate import CheckOptions

    repo = tmp_path / "repo"
    shutil.copytree(PACKAGE_FIXTURE, repo)
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    root = repo / "root"
    write_parse_profile(read_project(root, "root"), root / ".floe")
    dbt = Path(sys.executable).with_name("dbt")
    subprocess.run(
        [
            str(dbt),
            "deps",
            "--no-version-check",
            "--profiles-dir",
            str(root / ".floe" / "parse-profile"),
        ],
        cwd=root,
        check=True,
        capture_output=True,
    )
    assert (root / "dbt_packages" / "crm" / "dbt_project.yml").is_file()
    run = collect_check(root / "floe.yaml", CheckOptions(config_file="root/floe.yaml"))
    lineage = run.context.lineage
    assert lineage is not None
    for model in ("model.crm.stg_crm_customers", "model.crm.stg_crm_phones"):
        assert lineage.model_error(model) is None, lineage.model_error(model)
    assert lineage.columns("model.crm.stg_crm_phones") == [
        "customer_id",
        "phone_number",
        "loaded_by",
    ]
    seed = run.context.inputs["seed.crm.crm_customers"]
    assert list(seed.columns) == ["customer_id", "email", "phone_number", "signup_date"]
    assert run.context.package_roots == {"shop_root": ".", "crm": "../crm"}
    [followed] = [f for f in run.result.findings if f.rule_id == "FLOE301"]
    assert followed.file == "models/customer_contacts.sql"
    assert followed.lineage_path == ["stg_crm_customers.email", "customer_contacts.contact_email"]
    for finding in run.result.findings:
        assert finding.file is not None and (root / finding.file).is_file(), finding
        assert "dbt_packages" not in finding.file
        assert (repo / str(run.result.repo_path(finding))).is_file()
