"""run, dev and test: run the pipeline locally exactly as production runs it.

Heavy libraries (Dagster, dbt, OpenLineage, OpenTelemetry) are imported inside the commands.
"""

from __future__ import annotations

from pathlib import Path

import click

from floe_ci.cli.options import config_option
from floe_ci.cli.progress_options import progress_options, showing_progress

EXIT_FAILED = 1


@click.command("run")
@config_option
@click.option(
    "--env",
    "-e",
    "environment",
    default=None,
    help="A `deploy.environments` name from floe.yaml; its `governance` category decides "
    "which policies apply. Without it a local run is non_production.",
)
@click.option(
    "--select",
    "-s",
    default=None,
    help="dbt selection of the models to materialize (dbt syntax, e.g. `stg_orders+`).  "
    "[default: every model]",
)
@click.option("--exclude", default=None, help="dbt selection of models to leave out.")
@progress_options
def run_command(
    config: Path,
    environment: str | None,
    select: str | None,
    exclude: str | None,
    quiet: bool,
    verbose: bool,
) -> None:
    """Compile, then materialize the pipeline's assets through Dagster, in this process.

    Every dbt model, seed and snapshot is a Dagster asset and every dbt test an asset
    check; `dbt build` runs through dagster-dbt on the profile generated from floe.yaml's
    `compute` block (DuckDB by default). OpenLineage events and OpenTelemetry spans go
    where `observability` says. For a non_production environment the governance policies
    (mask, hash, redact, synthesize) are then applied to the classified columns.

    Prints one line per model and exits 1 when a model or test failed.

    \b
    Examples:
      floe run -c examples/shop/floe.yaml
      floe run --select "stg_orders+" --env staging
    """
    with showing_progress("floe run", quiet=quiet, verbose=verbose):
        from floe_ci.app.run import run_pipeline

        outcome = run_pipeline(config, environment=environment, select=select, exclude=exclude)
    if not outcome.success:
        raise click.exceptions.Exit(EXIT_FAILED)


@click.command("dev")
@config_option
@click.option(
    "--port",
    "-p",
    type=click.IntRange(1, 65535),
    default=3000,
    show_default=True,
    help="Port of the Dagster web UI.",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address the web UI listens on (0.0.0.0 to reach it from other machines).",
)
def dev_command(config: Path, port: int, host: str) -> None:
    """Compile, then start `dagster dev` (web UI and daemon) on the pipeline.

    The generated Dagster definitions (assets, asset checks, schedules and sensors from
    floe.yaml) are served from `.floe/artifacts.json`; Dagster's own state lives in
    `.floe/dagster/`. Ctrl-C (or SIGTERM) stops the web UI, the daemon and the code
    server, and waits until they are gone.

    \b
    Examples:
      floe dev -c examples/shop/floe.yaml
      floe dev --port 3001
    """
    from floe_ci.app.dev import run_dev_server

    code = run_dev_server(config, port=port, host=host)
    if code:
        raise click.exceptions.Exit(code)


@click.command("test")
@config_option
@click.option(
    "--select",
    "-s",
    default=None,
    help="dbt selection of the tests (or of the models whose tests run).  [default: all]",
)
@click.option("--exclude", default=None, help="dbt selection of tests to leave out.")
def test_command(config: Path, select: str | None, exclude: str | None) -> None:
    """Run the dbt tests of the pipeline and print a summary.

    Runs `dbt test` on the profile generated from floe.yaml, against the models already
    built (run `floe run` first). Exits 1 when a test fails or errors.

    \b
    Examples:
      floe test -c examples/shop/floe.yaml
      floe test --select customers
    """
    from floe_ci.app.dbt_tests import run_tests

    if not run_tests(config, select=select, exclude=exclude):
        raise click.exceptions.Exit(EXIT_FAILED)
