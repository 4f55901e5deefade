"""Governance: classifications read from dbt meta, and the policies that apply to them."""
