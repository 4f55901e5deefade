select
    customer_id,
    {{ cleaned('email') }} as email,
    phone_number
from {{ ref('crm_customers') }}
