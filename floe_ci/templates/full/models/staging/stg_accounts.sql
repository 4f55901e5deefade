select
    id as account_id,
    company,
    lower(contact_email) as contact_email,
    contact_phone,
    region,
    cast(created_at as date) as created_on
from {{ ref('raw_accounts') }}
