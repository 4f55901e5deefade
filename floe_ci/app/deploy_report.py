"""What a deploy did, step by step (printed as it goes, summed up at the end)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import click

from floe_ci.app.deploy_secrets import SecretMask

StepStatus = Literal["ok", "failed", "skipped"]
_MARKS = {"ok": "✓", "failed": "✗", "skipped": "-"}


@dataclass
class StepResult:
    name: str
    status: StepStatus
    summary: str
    details: list[str] = field(default_factory=list)

    def render(self) -> list[str]:
        head = f"  {_MARKS[self.status]} {self.name:<24} {self.summary}".rstrip()
        return [head, *(f"      {line}" for line in self.details)]


@dataclass
class DeployReport:
    pipeline: str
    steps: list[StepResult] = field(default_factory=list)
    # Applied to every printed line (and only there): secret values never reach the console.
    mask: SecretMask = field(default_factory=SecretMask)
    applied: list[str] = field(default_factory=list)
    rolled_back: list[str] = field(default_factory=list)

    @property
    def failed_step(self) -> StepResult | None:
        return next((s for s in self.steps if s.status == "failed"), None)

    @property
    def success(self) -> bool:
        return self.failed_step is None

    def add(self, step: StepResult) -> StepResult:
        self.steps.append(step)
        for line in step.render():
            self.echo(line)
        return step

    def echo(self, line: str, *, err: bool = False) -> None:
        click.echo(self.mask(line), err=err)

    def lines(self) -> list[str]:
        """Every step as printed (masked), for the job summary."""
        return [self.mask(line) for step in self.steps for line in step.render()]

    def job_summary(self) -> str:
        """Markdown for the job summary: the verdict, what was applied, what was rolled back."""
        failed = self.failed_step
        head = (
            f"### ✅ floe-ci deploy of `{self.pipeline}`"
            if failed is None
            else f"### ❌ floe-ci deploy of `{self.pipeline}` stopped at `{failed.name}`"
        )
        parts = [head, ""]
        parts += ["**Applied**", *(f"- {line}" for line in self.applied or ["nothing"]), ""]
        if self.rolled_back:
            parts += ["**Rolled back**", *(f"- {line}" for line in self.rolled_back), ""]
        parts += ["<details><summary>Steps</summary>", "", "```", *self.lines(), "```", ""]
        parts += ["</details>", ""]
        return self.mask("\n".join(parts))
