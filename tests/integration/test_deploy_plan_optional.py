"""The review's deploy plan is optional: whatever goes wrong in it, the review goes on.

`deploy_plan_or_none` promises that the review itself never fails for its plan. A usage
error (credentials missing for the deploy's `dbt parse`) was always caught; any other error
used to end the whole review with a traceback, so no comment was posted at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from floe_ci.app import deploy_plan
from floe_ci.errors import FloeUsageError


@pytest.fixture
def helm_found(monkeypatch: pytest.MonkeyPatch) -> None:
    from floe_ci.integrations.helm import binary

    monkeypatch.setattr(binary, "find_helm", lambda: "/usr/bin/helm")


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        (FloeUsageError.single("profiles.yml", "no target `prod`"), "no target `prod`"),
        (ValueError("Expecting value: line 1 column 1"), "internal error (ValueError: Expecting"),
        (KeyError("values"), "internal error (KeyError: 'values')"),
    ],
)
def test_an_error_in_the_deploy_plan_leaves_the_review_without_it(
    shop: Path,
    helm_found: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    error: Exception,
    shown: str,
) -> None:
    def broken(config: Path, base_ref: str) -> None:
        raise error

    monkeypatch.setattr(deploy_plan, "plan_for_review", broken)
    assert deploy_plan.deploy_plan_or_none(shop / "floe.yaml", "main") is None
    err = capsys.readouterr().err
    assert err.startswith("floe-ci: no deploy plan: ") and shown in err
    assert "Traceback" not in err and len(err.splitlines()) == 1


def test_a_pipeline_without_deploy_has_no_plan_and_says_nothing(
    shop: Path,
    helm_found: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = shop / "floe.yaml"
    text = config.read_text()
    config.write_text(text[: text.index("\ndeploy:")] + "\n")

    def never(config: Path, base_ref: str) -> None:
        raise AssertionError("no deploy block: nothing to render")

    monkeypatch.setattr(deploy_plan, "plan_for_review", never)
    assert deploy_plan.deploy_plan_or_none(config, "main") is None
    assert capsys.readouterr().err == ""
