"""classify and fix: the commands that write classifications into a dbt project."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from floe_ci.cli.options import config_option

if TYPE_CHECKING:
    from floe_ci.governance.proposals import Proposal
    from floe_ci.integrations.dbt.properties_writer import WriteResult

DEFAULT_ROWS = 100


@click.command()
@config_option
@click.option(
    "--sample",
    is_flag=True,
    help="Also read values from the warehouse (DuckDB or PostgreSQL, as floe.yaml's compute "
    "names it) to find e-mails, phones, SSNs, card numbers (Luhn-checked), IP addresses, "
    "birth dates and person names in columns whose names give nothing away. No value is "
    "ever printed.",
)
@click.option(
    "--rows",
    type=click.IntRange(1, 100_000),
    default=DEFAULT_ROWS,
    show_default=True,
    help="With --sample: read at most this many non-null values per column.",
)
@click.option(
    "--write",
    is_flag=True,
    help="Write the proposals into the dbt properties YAML (meta.floe), creating column "
    "entries where needed; comments, order and formatting of everything else stay as they are.",
)
@click.option(
    "--interactive",
    "-i",
    is_flag=True,
    help="Ask for each proposal (yes / no / all / quit) before writing; implies --write.",
)
def classify(config: Path, sample: bool, rows: int, write: bool, interactive: bool) -> None:
    """Propose classifications for unclassified columns, and write them with --write.

    Proposals come from column names and declared types (the detectors of FLOE201, with
    floe.yaml's `governance.pii_detection` settings) and, with --sample, from the values.
    Personal data is proposed as classification `pii` (sensitivity `high`, or `critical`
    for SSNs and identity documents), card and bank numbers as `financial`: the two
    policies `floe-ci init --existing` writes. Columns of installed packages (dbt_packages/)
    are listed but never edited.

    \b
    Example:
      floe-ci classify                      # list what would be classified
      floe-ci classify --sample --rows 200  # also judge the warehouse's values
      floe-ci classify --write && git diff  # write them, review the diff
    """
    from floe_ci.app.classify import plan_writes, propose, write_edits

    if interactive and not sys.stdin.isatty():
        raise click.UsageError("--interactive needs a terminal; use --write to accept all")
    shown = str(config)
    run = propose(config, shown, sample_rows=rows if sample else None)
    proposals = run.proposals
    if not proposals:
        click.echo("✓ no unclassified column looks like personal data")
        _sample_notes(run.sampled_columns, run.notes, sample)
        return
    for proposal in proposals:
        click.echo(_describe(proposal))
    click.echo(f"{len(proposals)} proposed classification(s)")
    _sample_notes(run.sampled_columns, run.notes, sample)
    if not (write or interactive):
        click.echo("  next: floe-ci classify --write (or --interactive), then floe-ci check")
        return
    accept = _Asker() if interactive else None
    writes = plan_writes(run, config, shown, accept)
    write_edits(writes)
    _report_writes(writes, config)
    click.echo(
        "  next: review `git diff`, then floe-ci fix (carries them downstream) and floe-ci check"
    )


def _describe(proposal: Proposal) -> str:
    return (
        f"  {proposal.label}: {proposal.classification} ({proposal.pii_type}, "
        f"{proposal.sensitivity}) from {proposal.evidence}"
    )


def _sample_notes(sampled: int, notes: list[str], sample: bool) -> None:
    if not sample:
        return
    click.echo(f"  sampled {sampled} column(s); values are judged in memory and never shown")
    if notes:
        click.echo(
            f"  {len(notes)} relation(s) not in the warehouse (not built?), e.g.: {notes[0]}"
        )


class _Asker:
    """Asks per proposal on the terminal: yes, no, all (the rest too), quit."""

    def __init__(self) -> None:
        self.accept_rest = False

    def __call__(self, proposal: Proposal) -> bool:
        if self.accept_rest:
            return True
        answer = click.prompt(
            f"classify {proposal.label} as {proposal.classification} ({proposal.pii_type})?",
            type=click.Choice(["y", "n", "a", "q"]),
            default="y",
            show_choices=True,
        )
        if answer == "q":
            raise click.Abort()
        self.accept_rest = answer == "a"
        return answer in ("y", "a")


def _report_writes(writes: WriteResult, config: Path) -> None:
    root = config.resolve().parent
    for edit, reason in writes.skipped:
        click.echo(f"  skipped {edit.label or edit.column}: {reason}", err=True)
    files = sorted(writes.changed)
    click.echo(
        f"✓ wrote {len(writes.written)} classification(s) into {len(files)} file(s)"
        + ("" if not files else ": " + ", ".join(_shown(f, root) for f in files[:5]))
        + (f" and {len(files) - 5} more" if len(files) > 5 else "")
    )


def _shown(path: Path, root: Path) -> str:
    import os

    return Path(os.path.relpath(path.resolve(), root)).as_posix()


@click.command("fix")
@config_option
@click.option("--dry-run", is_flag=True, help="Print the diff of the edits; change no file.")
@click.option(
    "--rule",
    "rules",
    multiple=True,
    metavar="RULE",
    help="Fix only this rule's findings (FLOE301, FLOE201, FLOE106 or its name); repeatable.",
)
@click.option(
    "--compile-target",
    metavar="NAME",
    default=None,
    help="As for `floe-ci check`: compile models whose Jinja reads the warehouse against "
    "this target of your dbt profile, so their lineage (and FLOE301's fixes) is known.",
)
def fix_command(
    config: Path, dry_run: bool, rules: tuple[str, ...], compile_target: str | None
) -> None:
    """Apply the fix of every finding that has one, in the dbt properties YAML.

    \b
    FLOE301  carry the upstream classification to the derived column
    FLOE201  the classification proposed for the suspected personal data
    FLOE106  the nearest valid sensitivity (`hgih` -> `high`)

    Waived findings are left alone. Comments, order and formatting of everything else
    in the files stay as they are.

    \b
    Example:
      floe-ci fix --dry-run      # the diff it would apply
      floe-ci fix && floe-ci check
    """
    from floe_ci.app.classify import write_edits
    from floe_ci.app.fix import plan_fixes

    plan = plan_fixes(config, str(config), rules, compile_target=compile_target)
    if not plan.fixes:
        click.echo("✓ nothing to fix: no active finding has an automatic fix")
        return
    for fix in plan.fixes:
        f = fix.finding
        click.echo(f"  {f.rule_id} {f.model}.{fix.column}: {fix.summary}")
    if dry_run:
        click.echo(plan.writes.diff(config.resolve().parent), nl=False)
        for edit, reason in plan.writes.skipped:
            click.echo(f"  cannot fix {edit.label or edit.column}: {reason}", err=True)
        click.echo(f"{len(plan.fixes)} fix(es); --dry-run: no file changed")
        return
    write_edits(plan.writes)
    _report_writes(plan.writes, config)
    click.echo("  next: floe-ci check")
