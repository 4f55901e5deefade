"""Cube semantic layer: models generated from the dbt manifest, config, validation (seed 8)."""
