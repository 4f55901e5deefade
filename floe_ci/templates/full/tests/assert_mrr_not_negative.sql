-- A singular test: returns the rows that break the rule.
select account_id, mrr
from {{ ref('account_revenue') }}
where mrr < 0
