"""`floe-ci mcp`: an MCP server (Model Context Protocol) that lets AI agents use the pipeline.

Tools:
  list_cubes      the cubes Cube serves (the generated `.floe/cube/model/`), with their
                  measures, dimensions and each classified member's policy
  query_cube      a Cube REST query with the caller's token (environment variable, never a
                  tool argument): Cube applies row-level security and restrictions to it
  explain_column  where a model's column comes from (floe's column lineage of the dbt
                  project), with the classification of every column on the way
  check           `floe-ci check` on the working tree: verdict and findings

A failure (bad floe.yaml, no generated models, Cube refusing the query) is an MCP tool
error with a message, never a crashed server.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from floe_ci.errors import FloeUsageError

TOKEN_ENV = "FLOE_CUBE_TOKEN"
URL_ENV = "FLOE_CUBE_URL"
MAX_ROWS = 1000
MAX_LINEAGE_STEPS = 200
INSTRUCTIONS = (
    "floe-ci pipeline tools: list_cubes shows what Cube serves (classified members carry "
    "their classification and policy); query_cube runs a Cube query as the caller (the token "
    "comes from the server's environment); explain_column traces a column to its sources; "
    "check runs the governance checks on the working tree."
)


class McpToolProblem(Exception):
    """A failure a tool reports to the agent as its error message."""


@dataclass(frozen=True)
class McpSettings:
    config: Path  # floe.yaml
    cube_url: str | None = None  # default: $FLOE_CUBE_URL, else http://localhost:<port>
    token_env: str = TOKEN_ENV


# --- the tools' work (plain functions: the MCP layer only wraps them) ---------------------


def list_cubes(settings: McpSettings) -> list[dict[str, Any]]:
    """Each generated cube: measures, the dimensions the caller may query, classifications.

    As Cube 1.x's /meta does, a restricted dimension is listed only when the caller's token
    (its `groups` or `roles` claim) holds one of the roles it is restricted to; Cube itself
    enforces this on every query, so the listing only spares the agent a refusal.
    """
    spec = _spec(settings)
    groups = _token_groups(os.environ.get(settings.token_env, ""))
    folder = settings.config.resolve().parent / ".floe" / "cube" / "model"
    files = sorted(folder.glob("*.yml")) if folder.is_dir() else []
    if not files:
        raise McpToolProblem(
            f"no Cube models in {folder}: run `floe-ci cube sync -c {settings.config}` first"
        )
    policies = spec.governance.policies
    cubes = []
    for path in files:
        for cube in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("cubes") or []:
            dimensions = []
            hidden = 0
            for dimension in cube.get("dimensions") or []:
                if dimension.get("public") is False:
                    continue  # Cube shows it to nobody (a tenant column left out by policy)
                floe = (dimension.get("meta") or {}).get("floe") or {}
                entry = {"name": f"{cube['name']}.{dimension['name']}", "type": dimension["type"]}
                if floe.get("classification"):
                    entry["classification"] = floe["classification"]
                    entry["policy"] = floe.get("policy")
                    policy = policies.get(str(floe["classification"]))
                    production = policy.production if policy else None
                    if floe.get("policy") == "restrict" and production is not None:
                        roles = list(production.requires_role)
                        if not set(roles) & groups:
                            hidden += 1
                            continue
                        entry["restricted_to"] = roles
                dimensions.append(entry)
            cubes.append(
                {
                    "name": cube["name"],
                    "description": cube.get("description"),
                    "table": cube.get("sql_table"),
                    "measures": [
                        {"name": f"{cube['name']}.{m['name']}", "type": m["type"]}
                        for m in cube.get("measures") or []
                    ],
                    "dimensions": dimensions,
                    "restricted_dimensions_not_shown": hidden,
                }
            )
    return cubes


def _token_groups(token: str) -> set[str]:
    """The `groups` (or `roles`) claim of a JWT, read without verifying it: only to decide
    what to list; Cube verifies the token and enforces the roles on every query."""
    import base64
    import json

    parts = token.split(".")
    if len(parts) != 3:
        return set()
    try:
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, TypeError):
        return set()
    groups = claims.get("groups") or claims.get("roles") if isinstance(claims, dict) else None
    return {str(g) for g in groups} if isinstance(groups, list) else set()


def query_cube(
    settings: McpSettings,
    measures: list[str],
    dimensions: list[str],
    filters: list[dict[str, Any]],
    time_dimensions: list[dict[str, Any]],
    limit: int,
) -> dict[str, Any]:
    """Cube's answer for the query, as the token in the environment may see it."""
    from floe_ci.integrations.cube.rest_client import CubeQueryError, CubeRestClient

    token = os.environ.get(settings.token_env, "")
    if not token:
        raise McpToolProblem(
            f"no Cube token: set {settings.token_env} in the MCP server's environment to the "
            "caller's JWT (signed with Cube's API secret; its claims are the security context)"
        )
    if not measures and not dimensions:
        raise McpToolProblem("a query needs at least one measure or dimension (see list_cubes)")
    query: dict[str, Any] = {
        "measures": measures,
        "dimensions": dimensions,
        "limit": max(1, min(limit, MAX_ROWS)),
    }
    if filters:
        query["filters"] = filters
    if time_dimensions:
        query["timeDimensions"] = time_dimensions
    try:
        answer = CubeRestClient(_cube_url(settings), token).load(query)
    except CubeQueryError as error:
        raise McpToolProblem(str(error)) from None
    return {
        "data": answer.get("data") or [],
        "used_pre_aggregations": sorted(answer.get("usedPreAggregations") or {}),
    }


def explain_column(settings: McpSettings, model: str, column: str) -> dict[str, Any]:
    """The column's upstream columns, step by step, each with its classification."""
    from floe_ci.app.check import collect_check
    from floe_ci.governance.evaluate import CheckOptions

    run = collect_check(settings.config, CheckOptions(config_file=str(settings.config)))
    ctx = run.context
    facts = {**ctx.inputs, **ctx.models}
    start = ctx.by_name.get(model)
    if start is None:
        known = ", ".join(sorted(ctx.by_name)[:20])
        raise McpToolProblem(f"no dbt model `{model}` (models: {known})")
    lineage = ctx.lineage
    if lineage is None:
        raise McpToolProblem("no column lineage for this project")
    known_columns = {c.lower() for c in lineage.columns(start.node_id) or []} | set(start.columns)
    if column.lower() not in known_columns:
        columns = ", ".join(sorted(known_columns))
        raise McpToolProblem(f"model `{model}` has no column `{column}` (columns: {columns})")

    def describe(node_id: str, name: str) -> dict[str, Any]:
        node = facts.get(node_id)
        label = node.name if node else node_id
        entry: dict[str, Any] = {"column": f"{label}.{name}", "node": node_id}
        found = node.columns.get(name.lower()) if node else None
        if found is not None and found.classification is not None:
            entry["classification"] = found.classification.classification
        return entry

    pairs = list(_walk(lineage, start.node_id, column.lower()))
    steps = [{"from": describe(*parent), "to": describe(*child)} for child, parent in pairs]
    sources = sorted({parent for _, parent in pairs} - {child for child, _ in pairs})
    return {
        "column": describe(start.node_id, column.lower()),
        "steps": steps,
        "sources": [describe(*source) for source in sources],
        "unresolved": dict(lineage.unresolved(start.node_id)),
    }


def _walk(
    lineage: Any, node_id: str, column: str
) -> Iterator[tuple[tuple[str, str], tuple[str, str]]]:
    """(child, parent) column pairs upstream of one column, breadth first, each once."""
    seen = {(node_id, column)}
    queue = [(node_id, column)]
    count = 0
    while queue and count < MAX_LINEAGE_STEPS:
        child = queue.pop(0)
        for ref in lineage.upstream(*child):
            parent = (ref.node_id, ref.column)
            count += 1
            yield child, parent
            if parent not in seen:
                seen.add(parent)
                queue.append(parent)


def check_working_tree(settings: McpSettings) -> dict[str, Any]:
    """`floe-ci check` on the working tree: the verdict and the active findings."""
    from floe_ci.app.check import run_check
    from floe_ci.governance.evaluate import CheckOptions

    result = run_check(settings.config, CheckOptions(config_file=str(settings.config)))
    return {
        "verdict": result.verdict(),
        "passed": result.passed,
        "summary": result.counts(),
        "findings": [
            finding.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
            for finding in result.active()
        ],
    }


def _spec(settings: McpSettings) -> Any:
    from floe_ci.app.spec_file import load_spec

    return load_spec(settings.config, str(settings.config)).spec


def _cube_url(settings: McpSettings) -> str:
    if settings.cube_url:
        return settings.cube_url
    if os.environ.get(URL_ENV):
        return os.environ[URL_ENV]
    cube = _spec(settings).consumption.cube
    return f"http://localhost:{cube.port if cube else 4000}"


# --- the MCP server ------------------------------------------------------------------------


def build_server(settings: McpSettings) -> Any:
    """The MCPServer with floe's tools; every anticipated failure becomes a ToolError."""
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError

    from floe_ci import __version__

    server = MCPServer("floe-ci", version=__version__, instructions=INSTRUCTIONS)

    def guarded(work: Any, *args: Any) -> Any:
        try:
            return work(settings, *args)
        except McpToolProblem as problem:
            raise ToolError(str(problem)) from None
        except FloeUsageError as error:
            raise ToolError(str(error)) from None

    @server.tool(name="list_cubes")
    def list_cubes_tool() -> list[dict[str, Any]]:
        """List the cubes Cube serves, with their measures and the dimensions the caller
        may query. Classified dimensions name their classification and production policy;
        a restricted one is listed (with `restricted_to`) only for a token holding one of
        its roles."""
        return guarded(list_cubes)  # type: ignore[no-any-return]

    @server.tool(name="query_cube")
    def query_cube_tool(
        measures: list[str] | None = None,
        dimensions: list[str] | None = None,
        filters: list[dict[str, Any]] | None = None,
        time_dimensions: list[dict[str, Any]] | None = None,
        limit: int = 100,
    ) -> dict[str, Any]:
        """Run a Cube query (members as `cube.member`, filters as Cube's
        `{member, operator, values}`, time dimensions as `{dimension, granularity}`) with the
        caller's token from the server's environment. Cube applies row-level security and
        member restrictions; a refusal is returned as the error."""
        return guarded(  # type: ignore[no-any-return]
            query_cube,
            measures or [],
            dimensions or [],
            filters or [],
            time_dimensions or [],
            limit,
        )

    @server.tool(name="explain_column")
    def explain_column_tool(model: str, column: str) -> dict[str, Any]:
        """Explain where a dbt model's column comes from: every upstream column step by
        step to its sources, with the classification (pii, financial, ...) of each."""
        return guarded(explain_column, model, column)  # type: ignore[no-any-return]

    @server.tool(name="check")
    def check_tool() -> dict[str, Any]:
        """Run `floe-ci check` on the working tree: the verdict and every active finding
        (rule, severity, message, file, line, hint)."""
        return guarded(check_working_tree)  # type: ignore[no-any-return]

    return server


def serve(settings: McpSettings, transport: str, host: str, port: int) -> None:
    """Run the server until the client goes away (stdio) or it is interrupted (http)."""
    server = build_server(settings)
    if transport == "stdio":
        server.run("stdio")
    else:
        server.run("streamable-http", host=host, port=port)
