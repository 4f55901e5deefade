"""Running the pipeline locally: `floe run` (Dagster in-process), `floe dev`, `floe test`."""
