"""What `floe-ci check` found: findings and the result that every renderer reads.

A CheckResult is computed once and rendered many times (console, JSON, SARIF, GitHub
annotations, Markdown); renderers never re-evaluate anything.
"""

from __future__ import annotations

import posixpath
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

Severity = Literal["error", "warning", "info"]
FailOn = Literal["error", "warning", "never"]
Environment = Literal["production", "non_production"]

SEVERITY_RANK: dict[str, int] = {"info": 0, "warning": 1, "error": 2}
REPORT_VERSION = "1.0.0"


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Finding(_Frozen):
    """One problem, located as precisely as the inputs allow."""

    rule_id: str = Field(description="Stable rule id, e.g. FLOE101.")
    rule_name: str = Field(description="The rule's slug, e.g. unpoliced-classification.")
    severity: Severity
    message: str
    hint: str | None = None
    model: str | None = Field(default=None, description="dbt model name.")
    node_id: str | None = Field(default=None, description="dbt unique_id of the model.")
    column: str | None = Field(default=None, description="Column name in the model.")
    file: str | None = Field(
        default=None, description="File relative to the folder holding floe.yaml."
    )
    line: int | None = Field(default=None, ge=1)
    column_number: int | None = Field(default=None, ge=1, description="1-based column in line.")
    lineage_path: list[str] = Field(
        default_factory=list,
        description="For propagation findings: `model.column` steps from the classified origin.",
    )
    waived: bool = False
    waiver_reason: str | None = None

    def location(self) -> str:
        parts = [self.file or "<unknown>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column_number is not None:
                parts.append(str(self.column_number))
        return ":".join(parts)

    def sort_key(self) -> tuple[str, int, int, str, str, str]:
        return (
            self.file or "~",
            self.line or 0,
            self.column_number or 0,
            self.rule_id,
            self.model or "",
            self.column or "",
        )


class CheckStats(_Frozen):
    """How much was checked, for the report's headline."""

    models: int = 0
    classified_columns: int = 0
    columns_with_lineage: int = 0
    models_unresolved: int = Field(
        default=0, description="Models whose SQL could not be analysed at all."
    )
    durations: dict[str, float] = Field(
        default_factory=dict,
        description="Seconds spent in each step of this run, in the order they ran: `spec` "
        "(floe.yaml), `dbt_parse` (only when dbt parsed), `manifest` (loading it), `lineage`, "
        "`rules`; with --base also `base_revision` (its checkout and packages, and its own "
        "steps as `base_revision.<step>`), `plan` and `deploy_plan`. The rendering of the "
        "report itself is not included (see --verbose). Varies from run to run.",
    )


class CheckResult(_Frozen):
    """The verdict of one `floe-ci check` run."""

    report_version: str = REPORT_VERSION
    tool_version: str
    pipeline: str
    config_file: str = Field(description="floe.yaml as the user named it.")
    base_path: str = Field(
        default=".",
        description="Folder holding floe.yaml, relative to the repository root; each "
        "finding's `file` is relative to it.",
    )
    environments: list[Environment]
    fail_on: FailOn
    stats: CheckStats
    findings: list[Finding]

    def repo_path(self, finding: Finding) -> str | None:
        """The finding's file relative to the repository root (for SARIF and annotations)."""
        if finding.file is None:
            return None
        if self.base_path in ("", ".") or finding.file.startswith("/"):
            return finding.file
        joined = f"{self.base_path.rstrip('/')}/{finding.file}"
        # a local package's file (`../models/x.sql` from integration_tests/) is `models/x.sql`
        return posixpath.normpath(joined) if finding.file.startswith("..") else joined

    def active(self) -> list[Finding]:
        """Findings that count: those not waived."""
        return [f for f in self.findings if not f.waived]

    def waived(self) -> list[Finding]:
        return [f for f in self.findings if f.waived]

    def counts(self) -> dict[str, int]:
        counts = {"error": 0, "warning": 0, "info": 0, "waived": 0}
        for finding in self.findings:
            counts["waived" if finding.waived else finding.severity] += 1
        return counts

    @computed_field  # type: ignore[prop-decorator]
    @property
    def summary(self) -> dict[str, int]:
        """Counts by severity of active findings, and of waived ones."""
        return self.counts()

    @computed_field  # type: ignore[prop-decorator]
    @property
    def passed(self) -> bool:
        """False when an active finding is at or above `fail_on` (exit code 1)."""
        return not self.failed()

    def failed(self) -> bool:
        """True when an active finding is at or above the --fail-on threshold."""
        if self.fail_on == "never":
            return False
        threshold = SEVERITY_RANK[self.fail_on]
        return any(SEVERITY_RANK[f.severity] >= threshold for f in self.active())

    def verdict(self) -> str:
        counts = self.counts()
        if not self.active():
            return "passed: no findings" + (
                f" ({counts['waived']} waived)" if counts["waived"] else ""
            )
        parts = [f"{counts[s]} {s}{'s' if counts[s] != 1 else ''}" for s in ("error", "warning")]
        if counts["info"]:
            parts.append(f"{counts['info']} info")
        if counts["waived"]:
            parts.append(f"{counts['waived']} waived")
        return ("failed: " if self.failed() else "passed with findings: ") + ", ".join(parts)
