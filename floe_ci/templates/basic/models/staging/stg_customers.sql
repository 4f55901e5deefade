select
    id as customer_id,
    name,
    lower(email) as email,
    cast(signed_up_at as date) as signed_up_on
from {{ ref('sample_customers') }}
