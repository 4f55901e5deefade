"""Column-level lineage of a dbt project, computed from each model's compiled SQL with sqlglot.

The core of it, pure (SQL and manifests in, lineage out; no files, no dbt)::

    from floe_ci.lineage.builder import build_lineage   # the whole project, in DAG order
    from floe_ci.lineage.sql_columns import analyse_sql  # one statement -> output columns

A project's lineage with its compiled SQL obtained from dbt and its cache on disk is
`floe_ci.integrations.dbt.lineage.build_column_lineage(manifest, project_dir, cache_dir)`.
The result, a `ColumnLineage`, answers::

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
sqlglot is loaded on the first analysis.

Modules: sql_columns (one statement -> output columns and their sources, via sqlglot
scopes), builder (the project in DAG order), relation_index (relations -> dbt nodes),
column_lineage (the query object), cache_format (the cache's content and JSON form),
column_refs (the value types).
"""

from floe_ci.lineage.column_lineage import ColumnLineage
from floe_ci.lineage.column_refs import ColumnOrigin, ColumnRef, LineageStats, Transform

__all__ = [
    "ColumnLineage",
    "ColumnOrigin",
    "ColumnRef",
    "LineageStats",
    "Transform",
]
