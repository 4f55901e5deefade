"""Adapters at the edge: one folder per external system."""
