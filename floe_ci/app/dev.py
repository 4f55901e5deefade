"""`floe dev`: the Dagster web UI and daemon on the pipeline, stopped cleanly on Ctrl-C.

`dagster dev` runs in a session of its own, so floe alone decides how it stops: SIGINT
first (Dagster then stops the web server, daemon and code server it started), SIGTERM to
the whole process group after a grace period, SIGKILL as a last resort. When floe returns,
no process of that group is left.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import FrameType

import click

from floe_ci.app.code_location import ARTIFACTS_ENV, PROJECT_ROOT_ENV

DEFINITIONS_MODULE = "floe_ci.app.definitions"
DAGSTER_HOME = Path(".floe") / "dagster"
GRACE_SECONDS = 20.0
READY_TIMEOUT_SECONDS = 180.0


class _Stop(Exception):
    """Raised in the main thread when floe is asked to stop."""


def dagster_dev_command(port: int, host: str) -> list[str]:
    return [
        sys.executable, "-m", "dagster", "dev",
        "-m", DEFINITIONS_MODULE,
        "--port", str(port),
        "--host", host,
    ]  # fmt: skip


def run_dev_server(config: Path, *, port: int, host: str) -> int:
    """Serve until interrupted; returns the exit code for floe."""
    from floe_ci.app.compile import artifacts_json, compile_pipeline, default_artifacts_path
    from floe_ci.fsutil import ensure_folder, write_atomic
    from floe_ci.integrations.extras import require_extra

    require_extra("dagster_webserver", "runtime", "`floe dev`")
    artifacts = compile_pipeline(config, display=str(config))
    artifacts_path = default_artifacts_path(config)
    write_atomic(artifacts_path, artifacts_json(artifacts))
    root = config.resolve().parent
    home = root / DAGSTER_HOME
    ensure_folder(home, "Dagster's home")
    instance_yaml = home / "dagster.yaml"
    if not instance_yaml.exists():
        # Dagster's usage statistics would try to reach the internet.
        write_atomic(instance_yaml, "telemetry:\n  enabled: false\n")
    env = dict(os.environ)
    env.update(
        {
            ARTIFACTS_ENV: str(artifacts_path),
            PROJECT_ROOT_ENV: str(root),
            "DAGSTER_HOME": str(home),
            "DO_NOT_TRACK": "1",
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
    )
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"

    def ask_to_stop(signum: int, frame: FrameType | None) -> None:
        raise _Stop(signal.Signals(signum).name)

    # Handlers first: a signal that floe handles is reset to the default in the child, while
    # an inherited "ignore" (e.g. floe started in the background) would be passed on and
    # leave dagster deaf to SIGINT.
    previous = {s: signal.signal(s, ask_to_stop) for s in (signal.SIGINT, signal.SIGTERM)}
    process: subprocess.Popen[bytes] | None = None
    try:
        process = subprocess.Popen(
            dagster_dev_command(port, host), cwd=root, env=env, start_new_session=True
        )
        name = artifacts.metadata.pipeline_name
        click.echo(f"▶ Dagster for `{name}`: {url}  (Ctrl-C to stop)")
        announced = False
        while process.poll() is None:
            if not announced and _answers(url):
                click.echo(f"✓ Dagster is up: {url}")
                announced = True
            time.sleep(0.5)
        click.echo(f"✗ dagster dev exited with code {process.returncode}", err=True)
        return 1
    except _Stop as stop:
        click.echo(f"stopping Dagster ({stop})…", err=True)
        return 0
    finally:
        # Further signals while shutting down must not interrupt the shutdown itself.
        for sig in previous:
            signal.signal(sig, signal.SIG_IGN)
        if process is not None:
            stop_process_group(process)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def stop_process_group(process: subprocess.Popen[bytes], grace: float = GRACE_SECONDS) -> None:
    """Stop `process` and everything in its process group, politely first."""
    group = process.pid  # start_new_session: the group id is the leader's pid
    if process.poll() is None:
        _signal_group(group, signal.SIGINT, leader_only=process.pid)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            _signal_group(group, signal.SIGTERM)
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                _signal_group(group, signal.SIGKILL)
                process.wait()
    # The leader is gone; anything it left behind in its group goes too.
    deadline = time.monotonic() + 5
    while _group_alive(group) and time.monotonic() < deadline:
        _signal_group(group, signal.SIGTERM)
        time.sleep(0.2)
    if _group_alive(group):
        _signal_group(group, signal.SIGKILL)


def _signal_group(group: int, sig: signal.Signals, leader_only: int | None = None) -> None:
    try:
        if leader_only is not None:
            os.kill(leader_only, sig)
        else:
            os.killpg(group, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/server_info", timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False
