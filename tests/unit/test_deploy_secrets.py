"""The deploy's secret mask: display only, longest value first, short values left alone."""

from __future__ import annotations

import yaml

from floe_ci.app.deploy_secrets import SecretMask


def test_every_occurrence_is_masked_longest_first() -> None:
    mask = SecretMask.of(["floe", "floe-prod-pw"])
    assert mask("user floe, password floe-prod-pw") == "user ***, password ***"


def test_values_shorter_than_four_characters_are_not_masked() -> None:
    assert SecretMask.of(["abc", ""]).values == ()


def test_masking_is_for_display_parsed_text_stays_intact() -> None:
    """The bug: `floe` -> `***` in rendered YAML is an alias and breaks the parse."""
    rendered = "metadata:\n  name: floe\n"
    assert yaml.safe_load(rendered) == {"metadata": {"name": "floe"}}
    assert SecretMask.of(["floe"])(rendered) == "metadata:\n  name: ***\n"
