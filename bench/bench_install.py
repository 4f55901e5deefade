"""Benchmark installing floe-ci's slim core, and report the action image's size.

    python bench/bench_install.py [--runs 2] [--python python3] [--image REF] [--no-check]

Set-up (not counted): floe-ci's own wheel is built from this checkout (`pip wheel --no-deps`),
standing in for the wheel a user gets from PyPI.

Each run creates a fresh venv and times, separately, `python -m venv` and `pip install
<floe-ci wheel>` (the slim core, no extras: what `pipx install floe-ci` installs), with pip's
cache as this machine has it (nothing is cleared or disabled). pip's own log tells where every
distribution came from: its cache ("Using cached"), a download, or a local wheel folder
(find-links); the counts are printed with the figure, so a cold and a warm cache are never
confused. The first run may fill the cache; the later ones show a user's repeat install.
Target: under 60 s.

Then (unless --no-check) `floe-ci check` runs from the last venv on a copy of examples/shop,
to show the slim core is enough for it; and the image size is read from buildah (the newest
localhost/floe-ci image that `bash .ci/image` built, or --image).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 60.0
ENV = {**os.environ, "DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
LAYER_COUNT = "{{len .OCIv1.RootFS.DiffIDs}}"
BUILDAH = [*([] if os.geteuid() == 0 else ["sudo", "-n"]), "buildah", "--storage-driver", "vfs"]


def build_wheel(python: str, dest: Path) -> Path:
    subprocess.run(
        [python, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(dest), str(REPO)],
        check=True,
        env=ENV,
    )
    (wheel,) = dest.glob("floe_ci-*.whl")
    return wheel


def sources(log: str) -> dict[str, int]:
    """Where pip took each distribution from, counted from its log."""
    return {
        "cache": len(re.findall(r"^\s*Using cached ", log, re.M)),
        "downloaded": len(re.findall(r"^\s*Downloading ", log, re.M)),
        "local wheels": len(re.findall(r"^\s*Processing /", log, re.M)) - 1,  # minus floe-ci's
    }


def one_run(python: str, wheel: Path, work: Path) -> tuple[float, float, dict[str, int], int]:
    venv = work / "venv"
    shutil.rmtree(venv, ignore_errors=True)
    start = time.perf_counter()
    subprocess.run([python, "-m", "venv", str(venv)], check=True)
    venv_seconds = time.perf_counter() - start
    start = time.perf_counter()
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", str(wheel)],
        capture_output=True,
        text=True,
        env=ENV,
    )
    install_seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"pip install failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    installed = re.search(r"^Successfully installed (.*)$", done.stdout, re.M)
    count = len(installed.group(1).split()) if installed else 0
    return venv_seconds, install_seconds, sources(done.stdout), count


def cache_summary(venv: Path) -> str:
    """pip's cache as the runs left it (uncacheable responses, from a proxy, leave it empty)."""
    pip = [str(venv / "bin" / "python"), "-m", "pip", "cache"]
    folder = subprocess.run([*pip, "dir"], capture_output=True, text=True, env=ENV).stdout.strip()
    info = subprocess.run([*pip, "info"], capture_output=True, text=True, env=ENV).stdout
    counts = re.findall(r"^Number of (.*): (\d+)$", info, re.M)
    return f"{folder}: " + ", ".join(f"{n} {what}" for what, n in counts)


def check_example(venv: Path, work: Path) -> str:
    project = work / "shop"
    shutil.rmtree(project, ignore_errors=True)
    shutil.copytree(
        REPO / "examples" / "shop",
        project,
        ignore=shutil.ignore_patterns(".floe", "target", "logs", "*.duckdb"),
    )
    start = time.perf_counter()
    done = subprocess.run(
        [str(venv / "bin" / "floe-ci"), "check", "--config", str(project / "floe.yaml")],
        capture_output=True,
        text=True,
        env=ENV,
    )
    seconds = time.perf_counter() - start
    last = (done.stdout.strip().splitlines() or [""])[-1]
    return f"exit {done.returncode} in {seconds:.1f} s ({last[:100]})"


def image_size(reference: str | None) -> str:
    if shutil.which("buildah") is None:
        return "unknown (no buildah: run `bash .ci/image`)"
    listing = subprocess.run(
        [*BUILDAH, "images", "--noheading", "--format", "{{.Name}}:{{.Tag}} {{.Size}}"],
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    rows = [line.split(None, 1) for line in listing if line.strip()]
    if reference is None:
        ours = [row for row in rows if row[0].startswith("localhost/floe-ci:")]
        if not ours:
            return "unknown (no localhost/floe-ci image: run `bash .ci/image`)"
        reference = ours[0][0]  # buildah lists the newest first
    sizes = [size for name, size in rows if name == reference]
    if not sizes:
        return f"unknown ({reference} is not in buildah's vfs store)"
    layers = subprocess.run(
        [*BUILDAH, "inspect", "--type", "image", "--format", LAYER_COUNT, reference],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return f"{sizes[0]} uncompressed, {layers} layers ({reference})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--python", default="python3", help="the interpreter a user has")
    parser.add_argument("--image", help="image reference (default: the newest localhost/floe-ci)")
    parser.add_argument(
        "--no-check", action="store_true", help="skip `floe-ci check` on the example"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="floe-bench-install-") as tmp:
        work = Path(tmp)
        wheel = build_wheel(args.python, work / "dist")
        totals = []
        for run in range(1, args.runs + 1):
            venv_s, install_s, origin, count = one_run(args.python, wheel, work)
            totals.append(venv_s + install_s)
            where = ", ".join(f"{n} from {k}" for k, n in origin.items() if n > 0) or "none"
            print(
                f"run {run}: venv {venv_s:.1f} s + pip install {install_s:.1f} s"
                f" = {venv_s + install_s:.1f} s; {count} distributions installed ({where})"
            )
        print(f"pip cache: {cache_summary(work / 'venv')}")
        best = min(totals)
        verdict = "under" if best < TARGET_SECONDS else "OVER"
        print(
            "slim core install (fresh venv + pip install):"
            f" median {statistics.median(totals):.1f} s, best {best:.1f} s"
            f" ({verdict} the {TARGET_SECONDS:.0f} s target)"
        )
        if not args.no_check:
            outcome = check_example(work / "venv", work)
            print(f"floe-ci check on examples/shop with the slim core: {outcome}")
    print(f"action image: {image_size(args.image)}")


if __name__ == "__main__":
    main()
