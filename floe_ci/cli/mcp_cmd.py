"""`floe-ci mcp`: the pipeline's MCP server for AI agents (stdio or streamable HTTP)."""

from __future__ import annotations

from pathlib import Path

import click

from floe_ci.cli.options import config_option


@click.command("mcp")
@config_option
@click.option(
    "--transport",
    type=click.Choice(["stdio", "http"]),
    default="stdio",
    show_default=True,
    help="stdio: the agent starts this command and talks over stdin/stdout; http: MCP's "
    "streamable HTTP transport at http://HOST:PORT/mcp.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="http: address to bind.")
@click.option("--port", default=8765, show_default=True, type=int, help="http: port to bind.")
@click.option(
    "--cube-url",
    default=None,
    help="Cube's base URL for query_cube. Default: $FLOE_CUBE_URL, else "
    "http://localhost:<consumption.cube.port>.",
)
def mcp_command(config: Path, transport: str, host: str, port: int, cube_url: str | None) -> None:
    """Serve the pipeline to AI agents over the Model Context Protocol.

    \b
    Tools:
      list_cubes      cubes, measures, dimensions; classified members with their policy
      query_cube      a Cube query as the caller: the JWT in $FLOE_CUBE_TOKEN (never a
                      tool argument), so Cube's row-level security and restrictions apply
      explain_column  a column's lineage to its sources, classifications on the way
      check           `floe-ci check` on the working tree: verdict and findings
    list_cubes reads the models `floe-ci cube sync` wrote (.floe/cube/model/). A failure
    is a tool error with a message; the server keeps running.

    \b
    Examples:
      floe-ci mcp -c examples/shop/floe.yaml            # for an agent's stdio config
      FLOE_CUBE_TOKEN=$JWT floe-ci mcp --cube-url http://cube:4000
      floe-ci mcp --transport http --port 8765          # http://127.0.0.1:8765/mcp
    """
    from floe_ci.app.spec_file import load_spec
    from floe_ci.integrations.extras import require_extra

    require_extra("mcp", "mcp", "the MCP server")
    load_spec(config, str(config))  # a bad floe.yaml is exit 2 now, not a tool error later
    from floe_ci.app.mcp_server import McpSettings, serve

    serve(McpSettings(config=config, cube_url=cube_url), transport, host, port)
