"""`floe-ci check` and `floe-ci rules`: the governance verdict and the rules behind it."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from floe_ci.cli.options import config_option, one_shot_process, shown_path
from floe_ci.cli.progress_options import progress_options, showing_progress

if TYPE_CHECKING:
    from floe_ci.plan.changes import Plan

FORMAT_NAMES = ("console", "json", "markdown", "sarif", "github")
EXIT_FINDINGS = 1
_FORMAT_FLAGS = ("--format", "-f")
_OUTPUT_FLAGS = ("--output", "-o")


def pair_outputs(args: list[str]) -> list[str]:
    """Fold `--format FMT --output FILE` into `--format FMT=FILE` (one syntax downstream)."""
    result: list[str] = []
    last_format: int | None = None  # index in `result` of the last --format's value
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            result.extend(args[index:])
            break
        flag, eq, inline = arg.partition("=")
        if arg.startswith("-f") and len(arg) > 2 and not arg.startswith("--"):
            result.append(f"--format={arg[2:]}")  # `-fjson`, click's joined short form
            last_format = len(result) - 1
        elif flag in _FORMAT_FLAGS:
            if eq:
                result.append(f"{flag}={inline}")
                last_format = len(result) - 1
            else:
                result.append(arg)
                if index + 1 < len(args):
                    index += 1
                    result.append(args[index])
                    last_format = len(result) - 1
        elif flag in _OUTPUT_FLAGS:
            if eq:
                target = inline
            elif index + 1 < len(args):
                index += 1
                target = args[index]
            else:
                raise click.UsageError(f"{flag} needs a FILE")
            if last_format is None:
                raise click.UsageError(
                    f"{flag} {target}: put --output after the --format it writes, e.g. "
                    "`--format sarif --output report.sarif`"
                )
            token = result[last_format]
            value = token.split("=", 1)[1] if token.startswith("--format=") else token
            if "=" in value:
                raise click.UsageError(
                    f"{flag} {target}: the format `{value}` already names its file"
                )
            result[last_format] = f"{token}={target}"
            last_format = None
        else:
            result.append(arg)
        index += 1
    return result


class CheckCommand(click.Command):
    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, pair_outputs(args))


def _parse_formats(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> list[tuple[str, Path | None]]:
    outputs: list[tuple[str, Path | None]] = []
    for value in values or ("console",):
        name, _, file = value.partition("=")
        if name not in FORMAT_NAMES:
            raise click.BadParameter(
                f"unknown format `{name}`; choose from {', '.join(FORMAT_NAMES)}", ctx, param
            )
        outputs.append((name, Path(file) if file and file != "-" else None))
    to_stdout = [name for name, file in outputs if file is None]
    if len(to_stdout) > 1:
        raise click.BadParameter(
            f"{' and '.join(to_stdout)} would both print to standard output; give all but "
            "one a file (`--format json=report.json` or `--format json --output report.json`)",
            ctx,
            param,
        )
    files = [file for _, file in outputs if file is not None]
    if len({f.resolve() for f in files}) != len(files):
        raise click.BadParameter("two formats write the same file", ctx, param)
    return outputs


@click.command("check", cls=CheckCommand)
@config_option
@click.option(
    "--env",
    "environment",
    type=click.Choice(["production", "non_production"]),
    default=None,
    help="Check the policies of one environment only.  [default: both]",
)
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "never"]),
    default="error",
    show_default=True,
    help="Exit with code 1 when a finding (not waived) is at least this severe.",
)
@click.option(
    "--format",
    "-f",
    "formats",
    multiple=True,
    callback=_parse_formats,
    metavar="FMT[=FILE]",
    help="Output format, repeatable: console, json, markdown, sarif, github. `FMT=FILE` "
    "(or FMT followed by --output FILE) writes that format to FILE atomically; without a "
    "file it prints to standard output (one format at most).  [default: console]",
)
@click.option(
    "--output",
    "-o",
    metavar="FILE",
    expose_value=False,
    help="Write the format named just before it to FILE: "
    "`--format sarif --output r.sarif --format json --output r.json`.",
)
@click.option(
    "--color/--no-color",
    default=None,
    help="Colour the console report.  [default: only on a terminal, unless NO_COLOR is set]",
)
@click.option(
    "--base",
    "base_ref",
    metavar="REF",
    default=None,
    help="Review against this git revision (a pull request's base, e.g. origin/main): adds "
    "the Plan (schema, lineage and policy changes) and its review findings. The console "
    "report and the JSON (`plan`) show the plan; `--format markdown` prints the pull-request "
    "comment. The base is compiled once per commit under .floe/cache/base/.",
)
@click.option(
    "--refresh-manifest",
    is_flag=True,
    help="Run `dbt parse` even when floe-ci's parse (.floe/cache/parse-target/) is current.",
)
@click.option(
    "--manifest",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    default=None,
    help="Use this dbt manifest.json instead of parsing the project (with --base: the head's).",
)
@click.option(
    "--base-manifest",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    default=None,
    help="With --base: the base revision's dbt manifest.json (dbt's --state folder, dbt Cloud "
    "artifacts), used instead of parsing the base's checkout, which then needs no installed "
    "packages.",
)
@click.option(
    "--compile-target",
    metavar="NAME",
    default=None,
    help="Compile models whose Jinja reads the warehouse (dbt_utils.star, "
    "adapter.get_columns_in_relation) against this target of your dbt profile: floe-ci runs "
    "`dbt docs generate` with it in place of `dbt parse` (one dbt run that also reads the "
    "sources' columns from the warehouse). Without it (or --catalog) such models are reported "
    "as needing the warehouse (FLOE302).",
)
@click.option(
    "--catalog",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    default=None,
    help="dbt's catalog.json (`dbt docs generate`): the relations' columns answer "
    "adapter.get_columns_in_relation when models that read the warehouse are compiled.",
)
@progress_options
def check(
    config: Path,
    environment: str | None,
    fail_on: str,
    formats: list[tuple[str, Path | None]],
    color: bool | None,
    base_ref: str | None,
    refresh_manifest: bool,
    manifest: Path | None,
    base_manifest: Path | None,
    compile_target: str | None,
    catalog: Path | None,
    quiet: bool,
    verbose: bool,
) -> None:
    """Check dbt column classifications against the governance policies in floe.yaml.

    Validates floe.yaml, parses the dbt project when the files dbt reads changed (into
    .floe/cache/parse-target/, never your target/), computes column-level lineage from
    each model's compiled SQL (cached under .floe/cache/), and runs every rule
    (`floe-ci rules` lists them). Findings name the rule, model, column, file and line.
    A column's dbt meta can waive a rule with a reason:
    `floe: {waive: [FLOE201], reason: "..."}`; waived findings are shown, never counted.

    \b
    Exit codes: 0 no finding at or above --fail-on, 1 findings, 2 bad input or usage.

    \b
    Examples:
      floe-ci check -c examples/shop/floe.yaml
      floe-ci check --fail-on warning --format json=report.json
      floe-ci check --format github --format sarif --output floe.sarif \\
                    --format markdown --output "$GITHUB_STEP_SUMMARY"
      floe-ci check --base origin/main --format markdown   # the PR comment, locally
      floe-ci check --base origin/main --manifest target/manifest.json \\
                    --base-manifest prod-state/manifest.json
    """
    from floe_ci.app.analysis_helper import analysis_helper
    from floe_ci.app.pydantic_plugins import pydantic_plugins_off

    printed: list[tuple[str, bool]] = []  # (text, to standard error), once progress is gone
    # Progress starts before the imports: on a busy machine they alone take a second.
    # So does the SQL analysis helper of a warm check: it imports sqlglot meanwhile.
    with (
        pydantic_plugins_off(),
        showing_progress("floe-ci check", quiet=quiet, verbose=verbose) as progress,
        analysis_helper(config) as elsewhere,
    ):
        from floe_ci.app.check import collect_check, with_durations
        from floe_ci.app.progress import step
        from floe_ci.fsutil import check_output_file, write_atomic
        from floe_ci.gc_tuning import keep_until_exit
        from floe_ci.governance.evaluate import ALL_ENVIRONMENTS, CheckOptions
        from floe_ci.report import render

        for _fmt, file in formats:  # a report that cannot be written fails before the work
            if file is not None:
                check_output_file(file, project=config.absolute().parent)
        environments = ALL_ENVIRONMENTS if environment is None else (environment,)
        options = CheckOptions(
            environments=environments,  # type: ignore[arg-type]
            fail_on=fail_on,  # type: ignore[arg-type]
            config_file=str(config),
            compile_target=compile_target,
            catalog=None if catalog is None else str(catalog.resolve()),
        )
        plan: Plan | None = None
        if base_manifest is not None and base_ref is None:
            raise click.UsageError(
                "--base-manifest is the base revision's manifest: add --base REF"
            )
        if base_ref is not None:
            from floe_ci.app.review import review_pull_request

            result, plan = review_pull_request(
                config,
                base_ref,
                options,
                head_manifest=manifest,
                base_manifest=base_manifest,
                elsewhere=elsewhere,
            )
        else:
            run = collect_check(
                config,
                options,
                refresh_manifest=refresh_manifest,
                manifest_path=manifest,
                elsewhere=elsewhere,
            )
            result = run.result
            if one_shot_process():
                keep_until_exit(run)  # the manifest is not taken apart just before exiting
            del run
        result = with_durations(result, progress.durations)
        with step("rendering"):
            template = None
            if plan is not None and any(fmt == "markdown" for fmt, _ in formats):
                # With a plan, Markdown is the pull-request comment, in the frame reports/ holds.
                from floe_ci.app.templates import comment_template

                template = comment_template()

            def rendered(fmt: str, use_color: bool = False) -> str:
                return render(result, fmt, plan, color=use_color, comment_template=template)

            for fmt, file in formats:
                if file is None:
                    use_color = _stdout_color() if color is None else color
                    from floe_ci.redaction import redact  # write_atomic redacts the files

                    printed.append((redact(rendered(fmt, use_color)), False))
                else:
                    write_atomic(file, rendered(fmt))
                    printed.append((f"wrote the {fmt} report to {shown_path(file)}\n", True))
    for text, to_stderr in printed:
        click.echo(text, nl=False, err=to_stderr)
    if result.failed():
        click.get_current_context().exit(EXIT_FINDINGS)


def _stdout_color() -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


@click.command("rules")
@click.argument("rule", required=False)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown"]),
    default="text",
    show_default=True,
    help="markdown: the rule reference as in the README.",
)
def rules(rule: str | None, fmt: str) -> None:
    """List the governance rules of `floe-ci check`, or explain one (by id or name).

    FLOE5xx rules compare two revisions: they fire only with `floe-ci check --base REF`
    (and in the GitHub Action with `base-ref`).

    \b
    Examples:
      floe-ci rules
      floe-ci rules FLOE301
      floe-ci rules unclassified-pii
    """
    from floe_ci.governance.rules.registry import all_rules, find_rule

    selected = [find_rule(rule)] if rule else all_rules()
    for item in selected:
        if fmt == "markdown":
            # The heading's GitHub anchor is the rule's helpUri in SARIF (#floe101-...).
            click.echo(f"#### {item.id} {item.name}\n")
            click.echo(f"**{item.severity}**: {item.summary()}\n\n{item.help_text()}\n")
        elif rule:
            click.echo(f"{item.id} {item.name} ({item.severity})\n")
            click.echo(item.documentation())
        else:
            click.echo(f"{item.id}  {item.name:<30} {item.severity:<8} {item.summary()}")
