"""Helm through its binary (subprocess): lint, template, upgrade --install."""
