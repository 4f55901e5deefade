with orders as (
    select
        customer_id,
        count(*) as order_count,
        sum(amount) as lifetime_value,
        min(ordered_on) as first_order_on
    from {{ ref('stg_orders') }}
    where status <> 'returned'
    group by customer_id
)

select
    c.customer_id,
    c.first_name || ' ' || c.last_name as full_name,
    c.email,
    c.country,
    c.signed_up_on,
    coalesce(o.order_count, 0) as order_count,
    coalesce(o.lifetime_value, 0) as lifetime_value,
    o.first_order_on
from {{ ref('stg_customers') }} as c
left join orders as o on o.customer_id = c.customer_id
