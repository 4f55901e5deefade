select
    id as order_id,
    customer_id,
    cast(ordered_at as date) as ordered_on,
    status,
    amount_cents / 100.0 as amount,
    card_last4
from {{ ref('raw_orders') }}
