"""floe-ci: CI-native verdicts, governance checks and safe deploys for dbt pipelines."""

__version__ = "0.1.0"
