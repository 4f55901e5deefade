"""A source's columns known from the warehouse (catalog.json) expand `select *` of it."""

from __future__ import annotations

from floe_ci.lineage.builder import build_lineage
from floe_ci.lineage.cache_format import LineageCache
from floe_ci.testing import Model, Project, Source, _GivenSql

PROJECT = Project(
    models=[
        Model("stg_contacts", "select * from {{ source('crm', 'contacts') }}"),
        Model("contacts", "select email as email_address from {{ ref('stg_contacts') }}"),
    ],
    sources=[Source("crm", "contacts", columns=["id"])],  # declared: a partial list
)


def test_the_warehouse_columns_of_a_source_win_over_its_declared_ones() -> None:
    manifest = PROJECT.manifest()
    source = next(iter(manifest["sources"]))
    known = {source: ["id", "email"]}
    lineage = build_lineage(manifest, _GivenSql(manifest), LineageCache(), known).lineage
    stg, contacts = "model.shop.stg_contacts", "model.shop.contacts"
    assert lineage.columns(stg) == ["id", "email"]
    [upstream] = lineage.upstream(contacts, "email_address")
    assert (upstream.node_id, upstream.column) == (stg, "email")

    # with the declared columns only, the staging model seems to lose `email`
    declared = build_lineage(manifest, _GivenSql(manifest), LineageCache(), {}).lineage
    assert declared.columns(stg) == ["id"]
