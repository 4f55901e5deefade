"""`floe-ci check` on generated projects of many models: cold, warm one-change, and dbt-bouncer.

All on a ScaleProject (bench/scale_project.py), whose manifests are given with `--manifest`,
so no run parses: what is timed is floe-ci's whole process.

- cold: no `.floe/` at all (no lineage, locations or compile cache), the base manifest;
- warm: `.floe/` as the cold run left it, one model changed and the re-parsed manifest given:
  before every run `.floe/` is put back as the cold run left it, so each run meets the change;
- dbt-bouncer with 8 manifest checks (bench/bench_check.py's configuration) on the same
  re-parsed manifest, alternated with the warm runs.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.figures import median
from bench.scale_project import BIN, REPO, Measured, ScaleProject, run_measured


@dataclass(frozen=True)
class Timed:
    """Median wall seconds and peak RSS (MiB, the largest of the runs) over the runs."""

    seconds: float
    peak_mib: float
    runs: tuple[float, ...]


def _summary(runs: list[Measured]) -> Timed:
    return Timed(
        median([r.seconds for r in runs]),
        max(r.peak_rss for r in runs) / 2**20,
        tuple(r.seconds for r in runs),
    )


def byte_compile_floe() -> None:
    """As `pip install` does for a wheel: dbt-bouncer's installed modules have .pyc files."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "floe_ci")], check=True)


def _check(scale: ScaleProject, manifest: Path, report: str) -> Measured:
    command = [
        str(BIN / "floe-ci"), "check", "-c", "floe.yaml", "--manifest", str(manifest),
        "--fail-on", "never", "--format", f"json={scale.root / report}",
    ]  # fmt: skip
    measured = run_measured(command, scale.project)
    if measured.code != 0:
        raise SystemExit(f"floe-ci check failed in {scale.project}:\n{measured.output[-3000:]}")
    return measured


def _after_cold(scale: ScaleProject) -> Path:
    return scale.root / "floe-state-after-cold"


def _made_by(scale: ScaleProject) -> Path:
    """Which floe-ci code left the kept state: the warm runs' stored findings are keyed by
    it, so a state kept from other code would time a check that reuses no findings."""
    return scale.root / "floe-state-after-cold.code"


def _code() -> str:
    from floe_ci.app.result_cache import code_fingerprint

    return code_fingerprint()


def cold_check(scale: ScaleProject, runs: int) -> Timed:
    """Cold checks of the base manifest; keeps `.floe/` of the last one for warm_check."""
    measured = []
    for _ in range(runs):
        scale.clear_floe_state()
        scale.set_changed(False)
        measured.append(_check(scale, scale.base_manifest, "cold.json"))
    kept = _after_cold(scale)
    shutil.rmtree(kept, ignore_errors=True)
    shutil.copytree(scale.project / ".floe", kept, symlinks=True)
    _made_by(scale).write_text(_code())
    return _summary(measured)


def _restore_after_cold(scale: ScaleProject) -> None:
    kept, made_by = _after_cold(scale), _made_by(scale)
    if not kept.is_dir() or not made_by.is_file() or made_by.read_text() != _code():
        cold_check(scale, 1)
    scale.clear_floe_state()
    shutil.copytree(kept, scale.project / ".floe", symlinks=True)
    scale.set_changed(True)


def warm_check(scale: ScaleProject, runs: int) -> Timed:
    """One model changed, its re-parsed manifest given, caches as the cold run left them."""
    measured = []
    for _ in range(runs):
        _restore_after_cold(scale)
        measured.append(_check(scale, scale.changed_manifest, "warm.json"))
    return _summary(measured)


BOUNCER_CONFIG = """\
dbt_artifacts_dir: {artifacts}
manifest_checks:
  - name: check_model_description_populated
  - name: check_model_names
    model_name_pattern: ^[a-z][a-z0-9_]*$
  - name: check_model_columns_have_types
  - name: check_model_has_properties_file
  - name: check_model_max_upstream_dependencies
    max_upstream_models: 10
  - name: check_model_code_does_not_contain_regexp_pattern
    regexp_pattern: .*[i][f][n][u][l][l].*
  - name: check_model_max_number_of_lines
  - name: check_model_does_not_use_cartesian_join
"""


def _bouncer_config(scale: ScaleProject) -> Path:
    """dbt-bouncer's configuration, outside the project, reading the re-parsed manifest."""
    artifacts = scale.root / "bouncer-artifacts"
    artifacts.mkdir(exist_ok=True)
    shutil.copyfile(scale.changed_manifest, artifacts / "manifest.json")
    config = scale.root / "dbt-bouncer.yml"
    config.write_text(BOUNCER_CONFIG.format(artifacts=artifacts))
    return config


def warm_check_vs_bouncer(scale: ScaleProject, runs: int) -> tuple[Timed, Timed]:
    """(floe-ci warm one-change, dbt-bouncer), alternated run by run."""
    config = _bouncer_config(scale)
    bouncer_command = [str(BIN / "dbt-bouncer"), "--config-file", str(config)]
    floe_runs, bouncer_runs = [], []
    for _ in range(runs):
        _restore_after_cold(scale)
        floe_runs.append(_check(scale, scale.changed_manifest, "warm.json"))
        bouncer = run_measured(bouncer_command, scale.root)
        if bouncer.code not in (0, 1):  # 1: some of its checks failed, which is fine here
            raise SystemExit(f"dbt-bouncer failed:\n{bouncer.output[-3000:]}")
        bouncer_runs.append(bouncer)
    return _summary(floe_runs), _summary(bouncer_runs)
