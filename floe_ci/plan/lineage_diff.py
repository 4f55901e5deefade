"""DAG changes, and a Mermaid picture of the changed part with its direct neighbours."""

from __future__ import annotations

import re

from floe_ci.dbt_manifest import Manifest
from floe_ci.plan.changes import LineageChange, ModelChange
from floe_ci.plan.snapshot import PipelineSnapshot

# A graph past this many nodes stops being readable in a PR comment.
MAX_GRAPH_NODES = 40
_LINEAGE_KINDS = ("model.", "seed.", "source.", "snapshot.", "exposure.")


def diff_lineage(
    base: PipelineSnapshot, head: PipelineSnapshot, models: list[ModelChange]
) -> LineageChange:
    base_nodes, head_nodes = _nodes(base), _nodes(head)
    base_edges, head_edges = _edges(base), _edges(head)
    added_edges = sorted(head_edges - base_edges)
    removed_edges = sorted(base_edges - head_edges)
    changed: dict[str, str] = {m.node_id: m.kind for m in models}
    for _parent, child in added_edges + removed_edges:
        changed.setdefault(child, "modified")
    mermaid, truncated = _mermaid(base, head, head_nodes, changed, set(removed_edges))
    return LineageChange(
        nodes_added=sorted(head_nodes - base_nodes),
        nodes_removed=sorted(base_nodes - head_nodes),
        edges_added=added_edges,
        edges_removed=removed_edges,
        mermaid=mermaid,
        mermaid_truncated=truncated,
    )


def _nodes(snapshot: PipelineSnapshot) -> set[str]:
    manifest = Manifest(snapshot.manifest)
    nodes: set[str] = set()
    for section in (manifest.nodes, manifest.sources, manifest.exposures):
        nodes.update(n for n in section if n.startswith(_LINEAGE_KINDS))
    return nodes


def _edges(snapshot: PipelineSnapshot) -> set[tuple[str, str]]:
    return {
        (p, c)
        for p, c in snapshot.edges()
        if p.startswith(_LINEAGE_KINDS) and c.startswith(_LINEAGE_KINDS)
    }


def _mermaid(
    base: PipelineSnapshot,
    head: PipelineSnapshot,
    head_nodes: set[str],
    changed: dict[str, str],
    removed_edges: set[tuple[str, str]],
) -> tuple[str, bool]:
    if not changed:
        return "", False
    edges = _edges(head) | removed_edges
    neighbours: set[str] = set()
    for parent, child in edges:
        if parent in changed or child in changed:
            neighbours.update((parent, child))
    # Changed nodes first, so the cap drops context rather than changes.
    ordered = sorted(changed) + sorted(neighbours - set(changed))
    shown = ordered[:MAX_GRAPH_NODES]
    visible = set(shown)
    lines = ["graph LR"]
    for node_id in shown:
        name = head.node_name(node_id) if node_id in head_nodes else base.node_name(node_id)
        label = f"{name} ({changed[node_id]})" if node_id in changed else name
        lines.append(f'  {_ident(node_id)}["{_escape(label)}"]')
    for parent, child in sorted(edges):
        if parent in visible and child in visible:
            arrow = "-.->|removed|" if (parent, child) in removed_edges else "-->"
            lines.append(f"  {_ident(parent)} {arrow} {_ident(child)}")
    for kind, colour in (("added", "#d4f7d4"), ("removed", "#f7d4d4"), ("modified", "#fbe7c6")):
        members = [_ident(n) for n in shown if changed.get(n) == kind]
        if members:
            lines.append(f"  classDef {kind} fill:{colour}")
            lines.append(f"  class {','.join(members)} {kind}")
    return "\n".join(lines), len(ordered) > len(shown)


def _ident(node_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", node_id)


def _escape(text: str, max_length: int = 80) -> str:
    """A node label for inside `["..."]`: one line, capped, and Mermaid's `#name;` entities
    for every character that could end the label, the fence around the graph or open HTML
    (a model name comes from the repository)."""
    flat = " ".join(text.split())
    if len(flat) > max_length:
        flat = flat[: max_length - 1] + "…"
    for char, entity in _MERMAID_ENTITIES:
        flat = flat.replace(char, entity)
    return flat


# `#` first: the entities written afterwards contain it.
_MERMAID_ENTITIES = (
    ("#", "#35;"),
    ('"', "#quot;"),
    ("`", "#96;"),
    ("<", "#lt;"),
    (">", "#gt;"),
    ("[", "#91;"),
    ("]", "#93;"),
    ("&", "#amp;"),
)
