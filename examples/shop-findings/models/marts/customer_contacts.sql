-- Deliberate findings: a PII column renamed through a CTE without a classification.
with contacts as (
    select
        customer_id,
        email as contact_email,
        phone
    from {{ ref('stg_customers') }}
)

select
    customer_id,
    contact_email,
    split_part(contact_email, '@', 2) as email_domain,
    phone
from contacts
