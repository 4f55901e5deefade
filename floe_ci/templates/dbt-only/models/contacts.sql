-- Replace with your own models; this one keeps the project buildable out of the box.
select * from (
    values
        (1, 'ops@example.com', 'EU'),
        (2, 'sales@example.com', 'US')
) as contacts (contact_id, email, region)
