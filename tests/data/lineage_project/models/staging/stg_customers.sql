{{ config(materialized='view') }}

select
    id as customer_id,
    first_name,
    last_name,
    lower(email) as email,
    phone,
    country
from {{ ref('raw_customers') }}
