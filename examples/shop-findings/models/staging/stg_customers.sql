select
    id as customer_id,
    first_name,
    last_name,
    lower(email) as email,
    phone,
    cast(birth_date as date) as birth_date,
    country,
    cast(created_at as date) as signed_up_on,
    last_login_ip
from {{ ref('raw_customers') }}
