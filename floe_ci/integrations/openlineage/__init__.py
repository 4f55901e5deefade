"""OpenLineage run events for dbt nodes (emitter), their facets and the configured transport."""
