"""helm lint, template and upgrade --install, run as a subprocess.

Each call returns a HelmResult; nothing raises for a failed helm command, so the deploy can
say which step failed. stdout and stderr are kept exactly as helm wrote them (the rendered
manifests are parsed); `error()`, the text meant for people, is masked, so a secret value
that helm echoes (it should not) is never printed.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from floe_ci.integrations.helm.kubeconfig import kubeconfig_env
from floe_ci.integrations.helm.values import ReleaseSettings

KUBE_VERSION = "1.33.0"
ROLLBACK_FLAG_HELM4 = "--rollback-on-failure"
ROLLBACK_FLAG_HELM3 = "--atomic"
_UPGRADE_GRACE_SECONDS = 120
_DURATION = re.compile(r"^(\d+)([smh])$")


@dataclass(frozen=True)
class HelmChartCall:
    """What a helm command acts on."""

    chart: Path
    release: ReleaseSettings
    values_files: tuple[Path, ...] = ()


@dataclass
class HelmResult:
    step: str
    command: list[str]
    returncode: int
    stdout: str
    stderr: str
    mask: Callable[[str], str] = str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def error(self) -> str:
        """helm's own reason, without log noise: its `Error:` lines, else the last lines."""
        lines = [ln.strip() for ln in (self.stderr + "\n" + self.stdout).splitlines()]
        errors: list[str] = []
        in_error = False  # lint's schema errors continue on the lines below `[ERROR]`
        for line in lines:
            if line.startswith(("Error:", "[ERROR]")):
                errors.append(line)
                in_error = line.startswith("[ERROR]")
            elif in_error and line and not line.startswith(("[INFO]", "[WARNING]", "==>")):
                errors.append(line)
            else:
                in_error = False
        chosen = errors or [ln for ln in lines if ln][-3:]
        return self.mask("\n".join(chosen) or f"helm exited with code {self.returncode}")


@dataclass
class HelmClient:
    binary: Path
    environ: Mapping[str, str]
    secrets: Iterable[str] = field(default_factory=tuple)

    def lint(self, call: HelmChartCall) -> HelmResult:
        args = ["lint", "--strict", str(call.chart), "--namespace", call.release.namespace]
        return self._run("helm lint", args + _values_args(call))

    def template(self, call: HelmChartCall, kube_version: str = KUBE_VERSION) -> HelmResult:
        args = [
            "template",
            call.release.name,
            str(call.chart),
            "--namespace",
            call.release.namespace,
            "--kube-version",
            kube_version,
        ]
        return self._run("helm template", args + _values_args(call))

    def version(self) -> tuple[int, int]:
        """helm's (major, minor), from `helm version`; (0, 0) when it does not say."""
        done = self._run("helm version", ["version", "--template", "{{.Version}}"], 30)
        match = re.match(r"v?(\d+)\.(\d+)", done.stdout.strip())
        return (int(match.group(1)), int(match.group(2))) if match else (0, 0)

    def rollback_flag(self) -> str:
        """Helm 4 renamed `--atomic` to `--rollback-on-failure` (and deprecated the old name)."""
        return ROLLBACK_FLAG_HELM4 if self.version()[0] >= 4 else ROLLBACK_FLAG_HELM3

    def release_labels(self, release: ReleaseSettings) -> dict[str, str] | None:
        """The labels of the deployed release (`helm get metadata`), or None when there is no
        release or no cluster to ask."""
        args = ["get", "metadata", release.name, "--namespace", release.namespace, "-o", "json"]
        if release.kube_context:
            args += ["--kube-context", release.kube_context]
        done = self._run("helm get metadata", args, 60)
        if not done.ok:
            return None
        try:
            labels = json.loads(done.stdout).get("labels") or {}
        except (json.JSONDecodeError, AttributeError):
            return None
        return {str(k): str(v) for k, v in labels.items()}

    def upgrade(
        self,
        call: HelmChartCall,
        *,
        rollback_flag: str = ROLLBACK_FLAG_HELM3,
        labels: Mapping[str, str] | None = None,
        description: str | None = None,
    ) -> HelmResult:
        release = call.release
        args = [
            "upgrade",
            "--install",
            release.name,
            str(call.chart),
            "--namespace",
            release.namespace,
            "--create-namespace",
            "--wait",
            "--timeout",
            release.timeout,
        ]
        if release.atomic:
            args.append(rollback_flag)
        if labels:
            args += ["--labels", ",".join(f"{k}={v}" for k, v in sorted(labels.items()))]
        if description:
            args += ["--description", description]
        if release.kube_context:
            args += ["--kube-context", release.kube_context]
        timeout = duration_seconds(release.timeout) + _UPGRADE_GRACE_SECONDS
        return self._run("helm upgrade --install", args + _values_args(call), timeout)

    def _run(self, step: str, args: list[str], timeout: float = 300) -> HelmResult:
        command = [str(self.binary), *args]
        with kubeconfig_env(self.environ) as env:
            try:
                done = subprocess.run(
                    command, capture_output=True, text=True, env=env, timeout=timeout, check=False
                )
                code, out, err = done.returncode, done.stdout, done.stderr
            except subprocess.TimeoutExpired:
                code, out, err = 124, "", f"Error: {step} did not finish within {timeout:.0f}s"
            except OSError as exc:
                code, out, err = 127, "", f"Error: cannot run {self.binary}: {exc.strerror}"
        return HelmResult(step, command, code, out, err, self.redact)

    def redact(self, text: str) -> str:
        """`text` as it may be shown: every secret value (4 characters or more) as `***`."""
        for secret in sorted(self.secrets, key=len, reverse=True):
            if len(secret) >= 4:
                text = text.replace(secret, "***")
        return text


def _values_args(call: HelmChartCall) -> list[str]:
    return [arg for path in call.values_files for arg in ("--values", str(path))]


def duration_seconds(value: str) -> int:
    match = _DURATION.match(value)
    if not match:
        return 300
    return int(match.group(1)) * {"s": 1, "m": 60, "h": 3600}[match.group(2)]
