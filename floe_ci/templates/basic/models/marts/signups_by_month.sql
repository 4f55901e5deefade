select
    date_trunc('month', signed_up_on) as signup_month,
    count(*) as signups
from {{ ref('stg_customers') }}
group by 1
