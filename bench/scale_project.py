"""Generated projects with their dbt manifests, parsed once and cached by the generator's inputs.

`dbt parse` of 50,000 models takes many minutes and gigabytes, so each project is parsed once
and kept in a work folder named after what produced it: the model count, the seed and a
digest of bench/generate_project.py. A project folder holds

    project/                     the dbt project (one model edited: see `changed_model`)
    profile/profiles.yml         the in-memory DuckDB profile dbt parses with
    manifests/base.json          the full `dbt parse` of the generated project
    manifests/changed.json       `dbt parse` again after one model changed (partial parsing)
    manifests/parse.json         what those two parses cost (wall seconds, peak RSS)

Both manifests are given to `floe-ci check --manifest`, so the check never re-parses.

    python -m bench.scale_project --models 50000 [--work DIR]   # prepare (or reuse) one
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ENV = {**os.environ, "DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
DEFAULT_WORK = Path("/tmp/floe-bench")
CHANGE_MARK = "\n-- changed by the benchmark\n"


@dataclass(frozen=True)
class Measured:
    """One child process: wall seconds, peak RSS in bytes, exit code and its output."""

    seconds: float
    peak_rss: int
    code: int
    output: str


def run_measured(args: list[str], cwd: Path) -> Measured:
    start = time.perf_counter()
    proc = subprocess.Popen(
        args, cwd=cwd, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert proc.stdout is not None
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    return Measured(seconds, usage.ru_maxrss * 1024, os.waitstatus_to_exitcode(status), output)


@dataclass(frozen=True)
class ScaleProject:
    root: Path
    models: int

    @property
    def project(self) -> Path:
        return self.root / "project"

    @property
    def profiles_dir(self) -> Path:
        return self.root / "profile"

    @property
    def base_manifest(self) -> Path:
        return self.root / "manifests" / "base.json"

    @property
    def changed_manifest(self) -> Path:
        return self.root / "manifests" / "changed.json"

    @property
    def parse_costs(self) -> dict[str, dict[str, float]]:
        """{"full": {"seconds", "peak_mib"}, "partial": {...}} of the parses that made it."""
        costs: dict[str, dict[str, float]] = json.loads(
            (self.root / "manifests" / "parse.json").read_text()
        )
        return costs

    def changed_model(self) -> Path:
        """The model a pull request edits: the first with plain ref() SQL, by path."""
        for path in sorted((self.project / "models").rglob("*.sql")):
            text = path.read_text()
            if "{%" not in text and "ref(" in text:
                return path
        raise SystemExit(f"no plain model to change in {self.project}")

    def set_changed(self, changed: bool) -> None:
        """Put the edited model's file as the manifest about to be checked has it."""
        path = self.changed_model()
        text = path.read_text().removesuffix(CHANGE_MARK)
        path.write_text(text + CHANGE_MARK if changed else text)

    def clear_floe_state(self) -> None:
        shutil.rmtree(self.project / ".floe", ignore_errors=True)


def _generator_digest() -> str:
    return hashlib.sha256((REPO / "bench" / "generate_project.py").read_bytes()).hexdigest()[:12]


def _dbt_parse(scale: ScaleProject) -> Measured:
    """dbt's default partial parsing: the first parse is full (no target/ yet) and writes
    partial_parse.msgpack, which the parse after one change reuses."""
    args = [
        str(BIN / "dbt"), "parse", "--project-dir", str(scale.project),
        "--profiles-dir", str(scale.profiles_dir), "--target", "parse", "--no-version-check",
    ]  # fmt: skip
    measured = run_measured(args, scale.project)
    if measured.code != 0:
        raise SystemExit(f"dbt parse failed in {scale.project}:\n{measured.output[-3000:]}")
    return measured


def prepare(
    models: int, work: Path = DEFAULT_WORK, seed: int = 7, say: bool = True
) -> ScaleProject:
    """The project of `models` models with both manifests, generated and parsed when absent."""
    scale = ScaleProject(work / f"scale-{models}-seed{seed}-{_generator_digest()}", models)
    work.mkdir(parents=True, exist_ok=True)
    # Two benchmarks preparing the same project wait for each other: the second would
    # otherwise delete the folder the first one's dbt is parsing.
    with (work / f"{scale.root.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (scale.root / "manifests" / "parse.json").is_file():  # written last
            _generate_and_parse(scale, seed, say)
    return scale


def _generate_and_parse(scale: ScaleProject, seed: int, say: bool) -> None:
    models = scale.models
    sys.path.insert(0, str(REPO))
    from bench.generate_project import generate

    if say:
        print(f"preparing {scale.root} (once: dbt parse of {models:,} models) ...", flush=True)
    shutil.rmtree(scale.root, ignore_errors=True)
    generate(scale.project, models, seed)
    scale.profiles_dir.mkdir(parents=True)
    (scale.profiles_dir / "profiles.yml").write_text(
        "bench:\n  target: parse\n  outputs:\n"
        "    parse: {type: duckdb, path: ':memory:', threads: 1}\n"
    )
    (scale.root / "manifests").mkdir()
    manifest = scale.project / "target" / "manifest.json"
    full = _dbt_parse(scale)
    shutil.copyfile(manifest, scale.base_manifest)
    scale.set_changed(True)
    partial = _dbt_parse(scale)
    shutil.copyfile(manifest, scale.changed_manifest)
    costs = {
        name: {"seconds": round(m.seconds, 2), "peak_mib": round(m.peak_rss / 2**20)}
        for name, m in (("full", full), ("partial", partial))
    }
    (scale.root / "manifests" / "parse.json").write_text(json.dumps(costs, indent=2) + "\n")
    if say:
        print(f"  dbt parse: full {full.seconds:.1f} s, {full.peak_rss / 2**20:,.0f} MiB peak; "
              f"partial after one change {partial.seconds:.1f} s", flush=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK)
    args = parser.parse_args()
    scale = prepare(args.models, args.work, args.seed)
    print(f"{scale.root}: {json.dumps(scale.parse_costs)}")


if __name__ == "__main__":
    main()
