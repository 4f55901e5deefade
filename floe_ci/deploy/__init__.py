"""`floe-ci deploy`: dbt build, Cube sync, helm upgrade --install; stops at the first failure."""
