"""Attacks 7 and 9: a manifest of the wrong shape is a located exit 2, never a traceback.

500 seeded mutations of a real manifest (from dbt parse of examples/shop), each checked the
way `floe-ci check --manifest FILE` checks it: the outcome is a verdict or a usage error
that names the manifest's file; no other exception, no hang."""

from __future__ import annotations

import json
import random
import traceback
from pathlib import Path
from typing import Any

import pytest

from floe_ci.errors import FloeUsageError
from floe_ci.governance.evaluate import CheckOptions
from tests.adversarial.fuzzing import Hang, deadline, mutate
from tests.conftest import copy_example

pytestmark = pytest.mark.integration
MUTATIONS = 500
SEED = 15


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    from floe_ci.app.check import run_check

    project = copy_example(tmp_path_factory.mktemp("fuzz") / "shop")
    run_check(project / "floe.yaml", CheckOptions(fail_on="never"))
    parsed = project / ".floe" / "cache" / "parse-target" / "manifest.json"
    manifest = json.loads(parsed.read_text())
    return project, manifest


def _focus(manifest: dict[str, Any]) -> list[tuple[Any, ...]]:
    """The places floe-ci reads, where a wrong type does the most harm."""
    places: list[tuple[Any, ...]] = [("nodes",), ("sources",), ("metadata",), ("child_map",)]
    places.append(("metadata", "dbt_schema_version"))
    for uid, node in manifest["nodes"].items():
        if node.get("resource_type") != "model":
            continue
        for key in ("columns", "meta", "config", "depends_on", "raw_code", "patch_path", "name"):
            places.append(("nodes", uid, key))
        for name, column in node.get("columns", {}).items():
            places += [("nodes", uid, "columns", name), ("nodes", uid, "columns", name, "meta")]
            if "meta" in column and "floe" in column["meta"]:
                places.append(("nodes", uid, "columns", name, "meta", "floe"))
        places.append(("nodes", uid, "config", "meta"))
    return places


def _check(project: Path, manifest_file: Path) -> str:
    from floe_ci.app.check import run_check

    try:
        with deadline(60):
            run_check(
                project / "floe.yaml", CheckOptions(fail_on="never"), manifest_path=manifest_file
            )
    except FloeUsageError as exc:
        assert all(p.file == str(manifest_file) for p in exc.problems), str(exc)
        return "exit 2"
    return "verdict"


def test_500_mutated_manifests_give_a_verdict_or_a_located_exit_2(
    shop: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    project, manifest = shop
    rng = random.Random(SEED)
    focus = _focus(manifest)
    outcomes: dict[str, int] = {}
    tracebacks: list[str] = []
    for i in range(MUTATIONS):
        mutated = mutate(manifest, rng, focus)
        path = tmp_path / f"manifest-{i}.json"
        try:
            path.write_text(json.dumps(mutated))
        except (RecursionError, ValueError):
            path.write_text('{"nodes": ' + "[" * 5000 + "]" * 5000 + "}")
        try:
            outcome = _check(project, path)
        except Hang:
            outcome = "hang"
            tracebacks.append(f"{path.name}: hang")
        except Exception:
            outcome = "traceback"
            tracebacks.append(f"{path.name}: {traceback.format_exc(limit=-3)}")
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        path.unlink()
    print(f"manifest fuzzer (seed {SEED}): {outcomes}")
    assert tracebacks == [], f"{len(tracebacks)} of {MUTATIONS}:\n" + "\n".join(tracebacks[:5])
    assert outcomes.get("exit 2", 0) > 100  # the mutations do reach the validation


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda m: m.update(nodes=list(m["nodes"].values())), "`nodes` is a list"),
        (
            lambda m: m["metadata"].update(
                dbt_schema_version="https://schemas.getdbt.com/dbt/manifest/v99.json"
            ),
            "v99",
        ),
        (lambda m: m.pop("metadata"), "`metadata`"),
        (lambda m: m.update(nodes={"model.x.y": "text"}), "model.x.y"),
    ],
)
def test_a_wrong_shape_names_the_field(
    shop: tuple[Path, dict[str, Any]], tmp_path: Path, change: Any, named: str
) -> None:
    project, manifest = shop
    mutated = json.loads(json.dumps(manifest))
    change(mutated)
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(mutated))
    with pytest.raises(FloeUsageError, match=named) as caught:
        from floe_ci.app.check import run_check

        run_check(project / "floe.yaml", CheckOptions(fail_on="never"), manifest_path=path)
    assert caught.value.problems[0].file == str(path)


def test_deep_json_is_a_located_exit_2(shop: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    project, _ = shop
    path = tmp_path / "manifest.json"
    path.write_text('{"nodes": {"a": ' + "[" * 100_000 + "]" * 100_000 + "}}")
    assert _check(project, path) == "exit 2"
