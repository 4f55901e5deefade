"""`floe-ci deploy`: roll the pipeline out (dbt, then Cube, then Helm), as the action on merge."""

from __future__ import annotations

from pathlib import Path

import click

from floe_ci.cli.options import config_option

EXIT_FAILED = 1


@click.command("deploy")
@config_option
@click.option(
    "--env",
    "-e",
    "environment",
    default="production",
    show_default=True,
    help="A `deploy.environments` name from floe.yaml: its namespace, kube_context, values "
    "and governance category apply. Ignored when floe.yaml declares no environments.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Build and install nothing: generate the Cube models, then `helm lint` and "
    "`helm template`, and check every rendered manifest against Kubernetes' schemas.",
)
@click.option(
    "--skip-dbt",
    is_flag=True,
    help="Do not run `dbt build` (the warehouse is already up to date); Cube and Helm still run.",
)
def deploy_command(config: Path, environment: str, dry_run: bool, skip_dbt: bool) -> None:
    """Deploy the pipeline: dbt build, then Cube sync, then helm upgrade --install.

    \b
    Steps, in order; the first failure stops the deploy (exit 1) and is named:
      1. compile       floe.yaml + dbt project -> .floe/artifacts.json
      2. dbt build     on the profile generated from `compute` (production data is
                       left as built; non_production environments are governed)
      3. cube sync     one Cube model per exposed dbt model -> .floe/cube/model/, with
                       the production policies applied, checked by Cube's compiler
                       when node and Cube are installed
      4. helm lint     --strict, on deploy.chart with the generated values
      5. helm upgrade  --install --atomic --wait, into the environment's namespace

    The kubeconfig is $KUBECONFIG, or $KUBECONFIG_DATA (the file's content or its base64,
    as a CI secret holds it), written to a private temporary file for helm and deleted
    after. Secret values are never printed: the chart receives secret NAMES only.

    Exit codes: 0 deployed, 1 a step failed, 2 bad configuration or a missing tool (helm).

    \b
    Examples:
      floe-ci deploy --dry-run                      # what would be deployed, nothing built
      floe-ci deploy -c examples/shop/floe.yaml --env staging
      KUBECONFIG=~/.kube/prod floe-ci deploy --env production
    """
    from floe_ci.app.deploy import DeployOptions, run_deploy

    report = run_deploy(
        config, DeployOptions(environment=environment, dry_run=dry_run, skip_dbt=skip_dbt)
    )
    if not report.success:
        raise click.exceptions.Exit(EXIT_FAILED)
