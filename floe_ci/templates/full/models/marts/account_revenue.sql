with active as (
    select account_id, sum(monthly_price) as mrr, count(*) as active_subscriptions
    from {{ ref('stg_subscriptions') }}
    where ended_on is null
    group by account_id
)

select
    a.account_id,
    a.company,
    a.contact_email,
    a.region,
    coalesce(active.mrr, 0) as mrr,
    coalesce(active.active_subscriptions, 0) as active_subscriptions
from {{ ref('stg_accounts') }} as a
left join active on active.account_id = a.account_id
