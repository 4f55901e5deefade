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
@click.option(
    "--base",
    metavar="REF",
    help="The revision deployed now, to plan against: only what changed since it is built "
    "(default: on a push event its `before`, else HEAD~1; none in a first commit: everything).",
)
@click.option(
    "--reviewed-plan",
    metavar="FINGERPRINT|FILE",
    help="Deploy only if the plan equals this one: the fingerprint the pull request's comment "
    "shows, or the .floe/deploy/deploy-plan.json of `floe-ci check --base`. On a GitHub push "
    "the merged pull request's comment is read instead.",
)
def deploy_command(
    config: Path,
    environment: str,
    dry_run: bool,
    skip_dbt: bool,
    base: str | None,
    reviewed_plan: str | None,
) -> None:
    """Deploy the pipeline: dbt build, then Cube sync, then helm upgrade --install.

    \b
    Steps, in order; the first failure stops the deploy (exit 1) and is named:
      1. compile       floe.yaml + dbt project -> .floe/artifacts.json
      2. plan          what changes since --base: dbt nodes, Cube models, Kubernetes
                       objects, values; its fingerprint must equal the reviewed one
                       (deploy.require_reviewed_plan); a release already carrying it
                       is left alone (a rerun does nothing)
      3. dbt build     exactly the planned nodes (modified + downstream, with their
                       tests), on the profile generated from `compute`
      4. cube sync     one Cube model per exposed dbt model -> .floe/cube/model/, with
                       the production policies applied, checked by Cube's compiler
                       when node and Cube are installed
      5. helm lint     --strict, on deploy.chart with the generated values
      6. helm upgrade  --install --wait with --rollback-on-failure (Helm 4) or
                       --atomic (Helm 3), the plan's fingerprint as release label
                       floe.dev/plan; on failure the previous Cube models come back

    The kubeconfig is $KUBECONFIG, or $KUBECONFIG_DATA (the file's content or its base64,
    as a CI secret holds it), written to a private temporary file for helm and deleted
    after. Secret values are never printed: the chart receives secret NAMES only.

    Exit codes: 0 deployed, 1 a step failed, 2 bad configuration or a missing tool (helm).

    \b
    Examples:
      floe-ci deploy --dry-run                      # what would be deployed, nothing built
      floe-ci deploy --base v1.4.0 --reviewed-plan .floe/deploy/deploy-plan.json
      floe-ci deploy -c examples/shop/floe.yaml --env staging
      KUBECONFIG=~/.kube/prod floe-ci deploy --env production
    """
    from floe_ci.app.deploy import DeployOptions, run_deploy

    options = DeployOptions(
        environment=environment,
        dry_run=dry_run,
        skip_dbt=skip_dbt,
        base=base,
        reviewed_plan=reviewed_plan,
    )
    report = run_deploy(config, options)
    if not report.success:
        raise click.exceptions.Exit(EXIT_FAILED)
