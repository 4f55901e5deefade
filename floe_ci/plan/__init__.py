"""Base-vs-head Plan: what a pull request changes in config, models, lineage and policy.

Pure: data in, data out. `build_plan(base, head)` compares two PipelineSnapshots.
"""
