-- Everything from staging: `select *` must be expanded from stg_customers' columns.
select * from {{ ref('stg_customers') }}
