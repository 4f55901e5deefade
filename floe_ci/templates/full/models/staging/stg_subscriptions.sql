select
    id as subscription_id,
    account_id,
    plan,
    cast(started_at as date) as started_on,
    cast(nullif(cast(ended_at as varchar), '') as date) as ended_on,
    monthly_price_cents / 100.0 as monthly_price,
    iban
from {{ ref('raw_subscriptions') }}
