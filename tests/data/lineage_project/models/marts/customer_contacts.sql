-- email is renamed inside a CTE, then selected through `select *`.
with source as (
    select * from {{ ref('stg_customers') }}
),

renamed as (
    select
        customer_id,
        first_name || ' ' || last_name as full_name,
        email as contact_email,
        country
    from source
)

select * from renamed
