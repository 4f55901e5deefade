-- Two hops: stg_customers.email -> customer_contacts.contact_email -> contact_list.email
select contact_email as email, 'customer' as kind from {{ ref('customer_contacts') }}
union all
select contact_email, 'buyer' from {{ ref('order_contacts') }}
