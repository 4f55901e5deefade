"""`floe test`: the pipeline's dbt tests through the dbt executor, with a summary."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from floe_ci.integrations.opentelemetry.tracing import span, traced_command


def run_tests(config: Path, *, select: str | None = None, exclude: str | None = None) -> bool:
    """Compile, run `dbt test`, print one line per failing test and a tally; True when green."""
    from floe_ci.app.compile import compile_pipeline
    from floe_ci.app.spec_file import load_spec
    from floe_ci.integrations.dbt.executor import DbtExecutor

    spec = load_spec(config, str(config)).spec
    with traced_command(spec.observability, pipeline=spec.name, command="test"):
        with span("floe.compile"):
            artifacts = compile_pipeline(config, display=str(config))
        executor = DbtExecutor(artifacts, config.resolve().parent)
        with span("dbt.test", select=select or "*"):
            result = executor.test(
                select=select.split() if select else None,
                exclude=exclude.split() if exclude else None,
                progress=sys.stderr.isatty(),
            )

    tests = [n for n in result.nodes if n.resource_type in ("test", "unit_test")]
    for node in tests:
        if node.failed or node.status == "warn":
            reason = next((ln.strip() for ln in (node.message or "").splitlines() if ln), "")
            click.echo(f"  {'✗' if node.failed else '!'} {node.name}: {node.status} {reason}")
    counts = ", ".join(f"{n} {status}" for status, n in result.counts().items()) or "no tests"
    ok = result.success and not result.failures
    click.echo(
        f"{'✓' if ok else '✗'} floe test `{artifacts.metadata.pipeline_name}`: "
        f"{len(tests)} tests ({counts}) in {result.elapsed:.1f}s; log: {result.log_path}"
    )
    if result.error:
        click.echo(f"  {result.error}", err=True)
    if not ok and any("does not exist" in (n.message or "") for n in result.failures):
        click.echo("  hint: build the models first with `floe run`", err=True)
    return ok
