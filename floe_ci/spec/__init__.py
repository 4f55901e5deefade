"""floe.yaml: its pydantic models, the located YAML parser and the checks of its values.

Core: parses text handed in; reading the file is floe_ci.app.spec_file.
"""
