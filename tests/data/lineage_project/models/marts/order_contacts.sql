-- email reaches orders through a join and a rename.
with paid as (
    select * from {{ ref('stg_orders') }} where status <> 'returned'
)

select
    o.order_id,
    o.amount,
    c.email as contact_email,
    coalesce(c.phone, 'unknown') as contact_phone,
    (select count(*) from {{ ref('stg_orders') }} as x where x.customer_id = o.customer_id)
        as orders_of_customer
from paid as o
join {{ ref('stg_customers') }} as c on c.customer_id = o.customer_id
