{# target.name: only dbt can render it (a package model compiled with `dbt compile`) #}
select customer_id, phone_number, '{{ target.name }}' as loaded_by
from {{ ref('crm_customers') }}
