"""dbt: manifests, profiles and execution."""
