-- `dbt.current_timestamp()` dispatches to the adapter: floe-ci renders that in dbt's own
-- context (jinja_dbt_context). The model also reads `graph`, which only dbt has: it goes
-- to `dbt compile`.
{% if execute %}{% do log("models in the graph: " ~ (graph.nodes | length)) %}{% endif %}
select
    order_id,
    amount,
    {{ dbt.current_timestamp() }} as loaded_at
from {{ ref('stg_orders') }}
