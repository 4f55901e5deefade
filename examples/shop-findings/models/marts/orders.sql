-- Deliberate finding: a PII column renamed through a join without a classification.
select
    o.order_id,
    o.customer_id,
    o.ordered_on,
    o.status,
    o.amount,
    o.card_last4,
    c.country,
    c.email as buyer_contact
from {{ ref('stg_orders') }} as o
join {{ ref('stg_customers') }} as c on c.customer_id = o.customer_id
