"""Governance rules, each registered by a stable id (`floe-ci rules` lists them).

Ids are grouped by subject: FLOE1xx policies and classification metadata, FLOE2xx
detection of unclassified personal data, FLOE3xx lineage, FLOE4xx the consumption layer.
"""

from floe_ci.governance.rules.base import ColumnLineage, Rule, RuleContext
from floe_ci.governance.rules.registry import all_rules, find_rule

__all__ = ["ColumnLineage", "Rule", "RuleContext", "all_rules", "find_rule"]
