"""`--base`: the base commit's findings are evaluated once, then read from its cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from floe_ci.app import check
from floe_ci.app.result_cache import RESULT_FILE
from floe_ci.app.review import base_snapshot
from floe_ci.governance.evaluate import CheckOptions
from tests.conftest import REPO_ROOT, copy_example
from tests.git_support import git

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("base-cache") / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    copy_example(root / "shop", REPO_ROOT / "examples" / "shop-findings")  # has findings
    (root / ".gitignore").write_text(".floe/\ntarget/\nlogs/\n*.duckdb\n.user.yml\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    return root


def test_second_review_reads_the_base_findings(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = repo / "shop" / "floe.yaml"
    first = base_snapshot(config, "main", CheckOptions())
    sha = git(repo, "rev-parse", "main")
    stored = repo / "shop" / ".floe" / "cache" / "base" / sha / "shop" / ".floe" / "cache"
    assert (stored / "result" / RESULT_FILE).is_file()
    assert first.findings, "the example has findings to compare"

    def must_not_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("the base was evaluated again")

    monkeypatch.setattr(check, "evaluate_context", must_not_run)
    again = base_snapshot(config, "main", CheckOptions())
    assert list(again.findings) == list(first.findings)
    assert set(again.models) == set(first.models)


def test_other_options_evaluate_the_base_again(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = repo / "shop" / "floe.yaml"
    base_snapshot(config, "main", CheckOptions())
    evaluated: list[CheckOptions] = []
    real = check.evaluate_context

    def counting(ctx: object, options: CheckOptions) -> object:
        evaluated.append(options)
        return real(ctx, options)  # type: ignore[arg-type]

    monkeypatch.setattr(check, "evaluate_context", counting)
    production = base_snapshot(config, "main", CheckOptions(environments=("production",)))
    assert [o.environments for o in evaluated] == [("production",)]
    assert production.findings is not None


def test_a_corrupt_stored_result_is_recomputed(repo: Path) -> None:
    config = repo / "shop" / "floe.yaml"
    first = base_snapshot(config, "main", CheckOptions())
    sha = git(repo, "rev-parse", "main")
    stored = (
        repo / "shop" / ".floe" / "cache" / "base" / sha / "shop" / ".floe" / "cache" / "result"
    )
    (stored / RESULT_FILE).write_text("garbage")
    again = base_snapshot(config, "main", CheckOptions())
    assert list(again.findings) == list(first.findings)
    assert (stored / RESULT_FILE).read_text().split("\n", 1)[0] != "garbage"
