"""Governance rules, each registered by a stable id (`floe-ci rules` lists them).

Ids are grouped by subject: FLOE1xx policies and classification metadata, FLOE2xx
detection of unclassified personal data, FLOE3xx lineage, FLOE4xx the consumption layer,
FLOE5xx the pull-request review (rules that compare two revisions).

rules/base.py says what a rule is (`Rule`, the RuleContext it reads, `@register`),
rules/review.py what a review rule is (`ReviewRule`), rules/registry.py finds them
(`all_rules`, `find_rule`), and `floe_ci.testing` runs one in a unit test. The package
itself imports nothing, so that a rule module and the registry can import each other's
neighbours without a circle.
"""
