-- `dbt.current_timestamp()` dispatches to the adapter: only `dbt compile` renders it.
select
    order_id,
    amount,
    {{ dbt.current_timestamp() }} as loaded_at
from {{ ref('stg_orders') }}
