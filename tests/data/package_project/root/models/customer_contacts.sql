select
    customer_id,
    email as contact_email
from {{ ref('crm', 'stg_crm_customers') }}
