-- Reads a source (not built by dbt): its columns come from the declared ones.
select *, upper(region) as region_code from {{ source('crm', 'accounts') }}
