"""FLOE101-FLOE105 on small projects built in the test (floe_ci.testing): no dbt, no files."""

from __future__ import annotations

from typing import Any

from floe_ci.testing import Model, Project, check_fails, check_passes

RESTRICTED = {"action": "restrict", "requires_role": ["pii_reader"]}
PII = {"production": RESTRICTED, "non_production": {"action": "mask"}}


def with_policies(**policies: Any) -> Project:
    """One model with a classified column, and floe.yaml with these policies."""
    customers = Model(
        "customers",
        "select 1 as id, 'a@b.c' as email",
        columns={"id": None, "email": {"classification": "pii", "pii_type": "email"}},
    )
    return Project(models=[customers], spec={"governance": {"policies": policies}})


def test_unpoliced_classification_names_the_column_and_the_closest_policy() -> None:
    [finding] = check_fails("FLOE101", with_policies(pi=PII))
    assert (finding.model, finding.column, finding.severity) == ("customers", "email", "error")
    assert "classified `pii`, but floe.yaml has no policy `pii`" in finding.message
    assert finding.hint is not None and finding.hint.startswith("did you mean `pi`?")
    assert "(policies defined: pi)" in finding.hint
    assert finding.file == "models/_schema.yml"  # the column's properties YAML


def test_unpoliced_classification_passes_once_the_policy_exists() -> None:
    check_passes("FLOE101", with_policies(pii=PII))
    # Unclassified columns need no policy at all.
    check_passes("FLOE101", Project(models=[Model("m", "select 1 as id", columns=["id"])]))


def test_policy_missing_environment_and_the_env_option() -> None:
    project = with_policies(pii={"production": RESTRICTED})
    [finding] = check_fails("FLOE102", project)
    assert finding.message == "policy `pii` has no action for non_production"
    assert finding.file == "floe.yaml"
    check_passes("FLOE102", project, environments=("production",))
    check_passes("FLOE102", with_policies(pii=PII))


def test_restrict_without_role_is_located_in_floe_yaml() -> None:
    spec = """\
name: shop
compute: {target: duckdb}
governance:
  policies:
    financial:
      production:
        action: restrict
      non_production: {action: hash}
"""
    [finding] = check_fails("FLOE103", Project(spec=spec))
    assert "`financial` restricts production access but names no role" in finding.message
    assert (finding.file, finding.line, finding.column_number) == ("floe.yaml", 7, 9)
    check_passes("FLOE103", with_policies(pii=PII))


def test_synthetic_data_is_unfit_for_production_only() -> None:
    synthetic = {"action": "synthesize"}
    [finding] = check_fails(
        "FLOE104", with_policies(pii={"production": synthetic, "non_production": synthetic})
    )
    assert "`synthesize` is not an action for production" in finding.message
    check_passes(
        "FLOE104", with_policies(pii={"production": RESTRICTED, "non_production": synthetic})
    )


def test_roles_without_restrict() -> None:
    masked_with_roles = {"action": "mask", "requires_role": ["finance"]}
    [finding] = check_fails(
        "FLOE105",
        with_policies(pii={"production": RESTRICTED, "non_production": masked_with_roles}),
    )
    assert finding.severity == "warning"
    assert "in non_production: `requires_role` is ignored with `action: mask`" in finding.message
    check_passes("FLOE105", with_policies(pii=PII))
