"""Column-level lineage of a dbt project, computed from each model's compiled SQL with sqlglot.

Public API::

    from floe_ci.lineage import build_column_lineage, ColumnRef

    lineage = build_column_lineage(
        manifest,                      # dict: manifest.json (from `dbt parse` is enough)
        project_dir,                   # dbt project folder or DbtProject (for Jinja models, seeds)
        state_dir / "cache" / "lineage",  # cache folder, or None for no cache
    )
    lineage.upstream("model.shop.customers", "email")     # direct parents: list[ColumnRef]
    lineage.downstream("model.shop.stg_customers", "email")  # direct children
    lineage.paths_to("model.shop.customers", "email")     # {ancestor: (ancestor, ..., this)}
    lineage.paths_from("model.shop.stg_customers", "email")  # {descendant: (this, ..., it)}
    lineage.origin("model.shop.customers", "full_name").transform  # "copy"|"expression"|"aggregate"
    lineage.unresolved("model.shop.customers")            # {column: reason}, never a guess
    lineage.model_error("model.shop.customers")           # why a model gave no columns, or None
    lineage.columns("model.shop.customers")               # output columns in order, or None
    lineage.stats                                          # LineageStats (cache hits, ...)

Column names are lower-cased. A path renders as `stg_customers.email -> customers.email`
with `" -> ".join(map(str, path))`. Upstream refs can be models, seeds, snapshots or
sources (`ColumnRef.node_id` is the manifest unique_id). Importing this package is cheap:
sqlglot, Jinja and dbt are loaded inside `build_column_lineage`, dbt only in a child
process and only for models whose Jinja needs the adapter (see compiled_sql.py).

Modules: sql_columns (one statement -> output columns and their sources, via sqlglot
scopes), compiled_sql / jinja_render / dbt_compile (compiled SQL from a parse manifest),
graph (the project in DAG order, relations -> dbt nodes, ColumnLineage), cache (one file).
"""

from floe_ci.lineage.graph import ColumnLineage, build_column_lineage
from floe_ci.lineage.model import ColumnOrigin, ColumnRef, LineageStats, Transform

__all__ = [
    "ColumnLineage",
    "ColumnOrigin",
    "ColumnRef",
    "LineageStats",
    "Transform",
    "build_column_lineage",
]
