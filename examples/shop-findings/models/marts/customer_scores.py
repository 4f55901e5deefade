# Deliberate finding: a Python model has no SQL, so its column lineage cannot be resolved,
# and it reads classified columns.
def model(dbt, session):
    dbt.config(materialized="table")
    customers = dbt.ref("stg_customers")
    return customers.filter("country = 'US'")
