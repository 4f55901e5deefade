"""`classify --interactive`: yes, no, all, quit per proposal."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from floe_ci.cli.adopt_cmds import _Asker
from floe_ci.governance.proposals import Proposal


def _proposal(column: str) -> Proposal:
    return Proposal("model.shop.m", "m", "model", column, "email", "its name")


def test_yes_no_then_all_accepts_the_rest() -> None:
    with CliRunner().isolation(input="y\nn\na\n"):
        asker = _Asker()
        answers = [asker(_proposal(c)) for c in ("a", "b", "c", "d", "e")]
    assert answers == [True, False, True, True, True]


def test_quit_aborts_before_anything_is_written() -> None:
    with CliRunner().isolation(input="q\n"), pytest.raises(click.Abort):
        _Asker()(_proposal("a"))
