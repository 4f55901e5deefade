"""Attacks 7 (output paths), 10 (symbolic links) and 12 (concurrent runs).

Output paths are checked before any work; floe-ci never writes through a symbolic link
that leaves the project (a planted `.floe/parse-profile` link once replaced
`~/.dbt/profiles.yml`), nor follows a floe.yaml that links elsewhere; three `check --base`
runs at once in one checkout all succeed with the same verdict."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from floe_ci.errors import FloeUsageError
from floe_ci.fsutil import project_lock, write_atomic
from floe_ci.integrations.helm.binary import find_helm
from tests.conftest import copy_example

FLOE_CI = str(Path(sys.executable).parent / "floe-ci")
ENV = {**os.environ, "DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]


def _floe(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [FLOE_CI, *args], capture_output=True, text=True, env=ENV, timeout=600, cwd=cwd
    )


# Never a real device here: code without the check renames its temporary file over the
# target, and as root that replaces /dev/null for the whole machine. A FIFO of our own shows
# the same refusal.
@pytest.mark.parametrize("target", ["FOLDER", "FIFO", "/proc/self/report.json"])
def test_an_output_that_cannot_be_written_fails_before_the_work(
    tmp_path: Path, target: str
) -> None:
    project = copy_example(tmp_path / "shop")
    output = {"FOLDER": str(tmp_path), "FIFO": str(tmp_path / "pipe")}.get(target, target)
    if target == "FIFO":
        os.mkfifo(output)
    started = time.monotonic()
    run = _floe("check", "-c", str(project / "floe.yaml"), "-f", f"json={output}")
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr and output in run.stderr
    assert not (project / "target").exists()  # refused before dbt parse ran
    assert time.monotonic() - started < 30


def test_no_write_through_a_planted_link_out_of_the_project(tmp_path: Path) -> None:
    project = copy_example(tmp_path / "shop")
    home_dbt = tmp_path / "home" / ".dbt"
    home_dbt.mkdir(parents=True)
    (home_dbt / "profiles.yml").write_text("precious: {}\n")
    (project / ".floe").mkdir()
    (project / ".floe" / "parse-profile").symlink_to(home_dbt, target_is_directory=True)
    run = _floe("compile", "-c", str(project / "floe.yaml"))
    assert run.returncode == 2, run.stdout + run.stderr
    assert "symbolic link" in run.stderr and "Traceback" not in run.stderr
    assert (home_dbt / "profiles.yml").read_text() == "precious: {}\n"
    assert sorted(p.name for p in home_dbt.iterdir()) == ["profiles.yml"]
    with pytest.raises(FloeUsageError, match="symbolic link"):
        write_atomic(project / ".floe" / "parse-profile" / "x.yml", "x")


def test_a_floe_yaml_linking_out_of_its_folder_is_refused(tmp_path: Path) -> None:
    elsewhere = copy_example(tmp_path / "elsewhere")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "floe.yaml").symlink_to(elsewhere / "floe.yaml")
    run = _floe("compile", "-c", str(repo / "floe.yaml"))
    assert run.returncode == 2 and "symbolic link" in run.stderr, run.stderr
    assert not (elsewhere / ".floe").exists() and not (elsewhere / "target").exists()


def test_the_project_lock_makes_parallel_runs_wait(tmp_path: Path) -> None:
    order: list[str] = []

    def hold(name: str) -> None:
        with project_lock(tmp_path / ".floe"):
            order.append(f"{name} in")
            time.sleep(0.3)
            with project_lock(tmp_path / ".floe"):  # re-entrant within a run
                order.append(f"{name} out")

    threads = [threading.Thread(target=hold, args=(n,)) for n in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert order in (["a in", "a out", "b in", "b out"], ["b in", "b out", "a in", "a out"])


@pytest.mark.e2e
def test_three_concurrent_reviews_in_one_checkout_all_succeed(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    project = copy_example(root / "shop")
    (root / ".gitignore").write_text(".floe/\ntarget/\n")
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    subprocess.run([*GIT, "-C", str(root), "add", "-A"], check=True)
    subprocess.run([*GIT, "-C", str(root), "commit", "-q", "-m", "base"], check=True)
    base = subprocess.run(
        ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    marts = project / "models" / "marts" / "_marts.yml"
    marts.write_text(
        marts.read_text().replace("classification: pii, pii_type: email", "owner: x", 1)
    )

    def review(i: int) -> tuple[int, list[str], str, object]:
        report = tmp_path / f"report-{i}.json"
        run = _floe("check", "-c", str(project / "floe.yaml"), "--base", base,
                    "--fail-on", "error", "-f", f"json={report}")  # fmt: skip
        data = json.loads(report.read_text()) if report.is_file() else {}
        rules = sorted(f["rule_id"] for f in data.get("findings", []))
        deploy = (data.get("plan") or {}).get("deploy")
        return run.returncode, rules, run.stderr, deploy

    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(review, range(3)))
    errors = [err[-2000:] for _, _, err, _ in results]  # which review lost what, and how
    assert [code for code, _, _, _ in results] == [1, 1, 1], errors
    assert results[0][1] == results[1][1] == results[2][1] and "FLOE501" in results[0][1], errors
    if find_helm() is not None:
        # The deploy plans render into fixed folders of `.floe/deploy/`: without the
        # project's lock one review read another's half-written manifest or half-staged
        # chart, and its comment lost the deploy plan (2 reviews in 24 once).
        assert not any("no deploy plan" in err for err in errors), errors
        assert results[0][3] is not None and results[0][3] == results[1][3] == results[2][3]


@pytest.mark.skipif(find_helm() is None, reason="the deploy render runs `helm template`")
def test_a_deploy_render_waits_for_the_lock_of_its_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Renders write fixed folders of `.floe/deploy/` (the parse's target, the staged
    chart): a review's render while another run holds the project's lock would read that
    run's half-written files, so it waits (parallel reviews lost their deploy plan)."""
    import floe_ci.app.compile as compile_module
    from floe_ci.app.deploy_plan import render_revision

    config = copy_example(tmp_path / "shop") / "floe.yaml"
    events: list[str] = []
    compiling = compile_module.compile_pipeline

    def compile_recorded(*args: object, **kwargs: object) -> object:
        events.append("render starts")
        return compiling(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(compile_module, "compile_pipeline", compile_recorded)
    held = threading.Event()

    def hold() -> None:
        with project_lock(compile_module.state_dir_for(config)):
            held.set()
            time.sleep(0.5)
            events.append("lock released")

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait()
    helm = find_helm()
    assert helm is not None
    rendered = render_revision(config, "production", helm, "working tree")
    holder.join()
    assert events == ["lock released", "render starts"]
    assert rendered.inputs.documents  # and it rendered the chart


def test_a_reviews_base_gets_its_packages_under_the_lock_of_the_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parallel reviews of one checkout provide the base's packages into one folder (a copy
    of the head's, or `dbt deps`): one at a time, while the project's lock is held."""
    import floe_ci.integrations.dbt.base_packages as base_packages
    from floe_ci.app.review import prepare_base
    from floe_ci.governance.evaluate import CheckOptions

    root = tmp_path / "repo"
    project = copy_example(root / "shop")
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    subprocess.run([*GIT, "-C", str(root), "add", "-A"], check=True)
    subprocess.run([*GIT, "-C", str(root), "commit", "-q", "-m", "base"], check=True)
    seen: list[str] = []

    def provide_probing(*_args: object) -> str:
        seen.append(_lock_as_another_run_sees_it(project / ".floe"))
        return "probed"

    monkeypatch.setattr(base_packages, "provide_base_packages", provide_probing)
    config = project / "floe.yaml"
    base = prepare_base(config, "main", CheckOptions(config_file=str(config)))
    assert base.packages == "probed" and seen == ["held"]


def test_a_deploy_holds_the_lock_of_its_project_from_plan_to_apply(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deploy's plan, dbt build, Cube models and helm values live in fixed folders of
    `.floe/`: a second run of the same checkout waits for the whole deploy."""
    import floe_ci.app.deploy as deploy

    config = copy_example(tmp_path / "shop") / "floe.yaml"
    seen: list[str] = []

    def deploy_probing(*_args: object) -> None:
        seen.append(_lock_as_another_run_sees_it(config.parent / ".floe"))

    monkeypatch.setattr(deploy, "_deploy", deploy_probing)
    deploy.run_deploy(config, deploy.DeployOptions(dry_run=True))
    assert seen == ["held"]
    assert _lock_as_another_run_sees_it(config.parent / ".floe") == "free"  # released after


def _lock_as_another_run_sees_it(state_dir: Path) -> str:
    """Whether another thread (standing for another run) can take the project's lock
    within 0.2 s: "free" or "held" (the lock is re-entrant within one thread only)."""
    seen: list[str] = []

    def probe() -> None:
        try:
            with project_lock(state_dir, timeout=0.2):
                seen.append("free")
        except FloeUsageError:
            seen.append("held")

    prober = threading.Thread(target=probe)
    prober.start()
    prober.join()
    return seen[0]
