"""The deploy plan: what a merge will apply, computed from the base and the head (pure).

Four parts, each a diff of what the deploy would produce at the base and at the head:
- the rendered Kubernetes objects (added, removed, changed fields; a Secret's data and any
  secret-sounding field shown only as a reference, a long text as its digest);
- the dbt nodes that will build: the modified ones (code, config, or the columns' meta, so
  a classification flip that dbt's `state:modified` misses is in) and everything downstream,
  with the tests dbt's eager indirect selection adds; and those that will not;
- the Cube model files that change; the Helm values that change.

Its fingerprint is a digest of what will be applied (the head's artifacts, the dbt build
list, the rendered manifests and the Cube models): the PR comment records it, the deploy
recomputes it at merge and refuses a different one, as `terraform plan` / `apply` do.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from floe_ci.dbt_manifest import Manifest, ManifestNode
from floe_ci.spec.secrets import is_secret_key

BUILT_TYPES = ("model", "seed", "snapshot")
LONG_TEXT = 120  # a string longer than this (or multi-line) is shown by its digest
SECRET_SHOWN = "(secret: by reference only)"
FINGERPRINT_PREFIX = "sha256:"

Status = Literal["added", "removed", "changed"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class FieldChange(_Model):
    path: str
    before: Any = None
    after: Any = None


class ObjectChange(_Model):
    """One Kubernetes object of the rendered manifests that the deploy adds, removes or changes."""

    kind: str
    name: str
    status: Status
    fields: list[FieldChange] = Field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.kind}/{self.name}"


class DbtBuild(_Model):
    build: list[str] = Field(default_factory=list, description="unique ids dbt builds, sorted")
    reasons: dict[str, str] = Field(default_factory=dict, description="unique id -> why")
    not_built: list[str] = Field(default_factory=list)
    full: bool = Field(default=False, description="no base: everything builds")

    def selectors(self, manifest: Mapping[str, Any]) -> list[str]:
        """`--select` arguments for exactly the planned models, seeds and snapshots (`fqn:`;
        dbt has no unique-id selector); dbt adds their tests by eager indirect selection."""
        view = Manifest(manifest)
        chosen = []
        for uid in self.build:
            node = view.node(uid)
            if node is not None and node.resource_type in BUILT_TYPES:
                chosen.append("fqn:" + ".".join(str(part) for part in node.get("fqn") or []))
        return chosen


class CubeModelChange(_Model):
    file: str
    status: Status


class DeployInputs(_Model):
    """What the deploy produces at one revision (gathered by app/deploy_plan.py)."""

    ref: str
    artifacts_digest: str
    manifest: dict[str, Any] = Field(repr=False)
    documents: list[dict[str, Any]] = Field(default_factory=list, repr=False)
    cube_models: dict[str, str] = Field(default_factory=dict, repr=False)
    values: dict[str, Any] = Field(default_factory=dict, repr=False)


class DeployPlan(_Model):
    base_ref: str | None
    head_ref: str
    release: str
    namespace: str
    objects: list[ObjectChange] = Field(default_factory=list)
    dbt: DbtBuild = Field(default_factory=DbtBuild)
    cube_models: list[CubeModelChange] = Field(default_factory=list)
    values: list[FieldChange] = Field(default_factory=list)
    fingerprint: str

    @property
    def empty(self) -> bool:
        return not (self.objects or self.dbt.build or self.cube_models or self.values)

    def summary(self) -> PlanSummary:
        return PlanSummary(
            fingerprint=self.fingerprint,
            base=self.base_ref,
            head=self.head_ref,
            dbt=self.dbt.build[:SUMMARY_NODES],
            objects={o.label: o.status for o in self.objects},
            cube={c.file: c.status for c in self.cube_models},
        )


SUMMARY_NODES = 300  # the comment's hidden data stays small; the fingerprint covers all


class PlanSummary(_Model):
    """What the PR comment's hidden data keeps of a plan: enough to say how a later one differs."""

    fingerprint: str
    base: str | None = None
    head: str | None = None
    dbt: list[str] = Field(default_factory=list)
    objects: dict[str, str] = Field(default_factory=dict)
    cube: dict[str, str] = Field(default_factory=dict)


# --- the four diffs ----------------------------------------------------------------------


def diff_objects(
    base: Iterable[Mapping[str, Any]], head: Iterable[Mapping[str, Any]]
) -> list[ObjectChange]:
    before, after = _by_object(base), _by_object(head)
    changes = []
    for key in sorted(before.keys() | after.keys()):
        kind, name = key
        if key not in before:
            changes.append(ObjectChange(kind=kind, name=name, status="added"))
        elif key not in after:
            changes.append(ObjectChange(kind=kind, name=name, status="removed"))
        else:
            fields = _diff_flat(
                _flatten(before[key]), _flatten(after[key]), secret=kind == "Secret"
            )
            if fields:
                changes.append(ObjectChange(kind=kind, name=name, status="changed", fields=fields))
    return changes


def diff_values(base: Mapping[str, Any], head: Mapping[str, Any]) -> list[FieldChange]:
    return _diff_flat(_flatten(base), _flatten(head))


def diff_cube_models(base: Mapping[str, str], head: Mapping[str, str]) -> list[CubeModelChange]:
    changes = []
    for name in sorted(base.keys() | head.keys()):
        if name not in base:
            changes.append(CubeModelChange(file=name, status="added"))
        elif name not in head:
            changes.append(CubeModelChange(file=name, status="removed"))
        elif base[name] != head[name]:
            changes.append(CubeModelChange(file=name, status="changed"))
    return changes


def dbt_build(base: Mapping[str, Any] | None, head: Mapping[str, Any]) -> DbtBuild:
    """The modified nodes and their downstream, with the tests on any of them."""
    view = Manifest(head)
    buildable = {uid for uid, n in view.nodes.items() if n.resource_type in BUILT_TYPES}
    tests = {uid for uid, n in view.nodes.items() if n.resource_type == "test"}
    if base is None:
        return DbtBuild(
            build=sorted(buildable | tests),
            reasons=dict.fromkeys(sorted(buildable | tests), "first deploy"),
            full=True,
        )
    before = Manifest(base).nodes
    reasons: dict[str, str] = {}
    for uid in sorted(buildable):
        why = _modified(before.get(uid), view.nodes[uid])
        if why:
            reasons[uid] = why
    children = view.child_map
    queue = list(reasons)
    while queue:
        parent = queue.pop()
        for child in children.get(parent, []):
            if child in buildable and child not in reasons:
                reasons[child] = f"downstream of {_short(parent)}"
                queue.append(child)
    # dbt build's eager indirect selection: a test runs when any node it tests is selected.
    for uid in sorted(tests):
        node = view.nodes[uid]
        parents = [p for p in node.depends_on_nodes if p in reasons]
        if parents or _modified(before.get(uid), node):
            reasons[uid] = f"tests {_short(parents[0])}" if parents else "test changed"
    chosen = sorted(reasons)
    return DbtBuild(
        build=chosen,
        reasons={uid: reasons[uid] for uid in chosen},
        not_built=sorted((buildable | tests) - set(chosen)),
    )


def plan_fingerprint(
    artifacts_digest: str,
    build: Sequence[str],
    documents: Sequence[Mapping[str, Any]],
    cube_models: Mapping[str, str],
) -> str:
    """A digest of what the deploy applies; equal inputs give an equal fingerprint."""
    payload = {
        "artifacts": artifacts_digest,
        "dbt": list(build),
        "manifests": sorted(
            (json.dumps(doc, sort_keys=True, default=str) for doc in documents),
        ),
        "cube": dict(sorted(cube_models.items())),
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return FINGERPRINT_PREFIX + hashlib.sha256(text.encode()).hexdigest()


def build_deploy_plan(
    base: DeployInputs | None, head: DeployInputs, *, release: str, namespace: str
) -> DeployPlan:
    dbt = dbt_build(base.manifest if base else None, head.manifest)
    return DeployPlan(
        base_ref=base.ref if base else None,
        head_ref=head.ref,
        release=release,
        namespace=namespace,
        objects=diff_objects(base.documents if base else [], head.documents),
        dbt=dbt,
        cube_models=diff_cube_models(base.cube_models if base else {}, head.cube_models),
        values=diff_values(base.values if base else {}, head.values),
        fingerprint=plan_fingerprint(
            head.artifacts_digest, dbt.build, head.documents, head.cube_models
        ),
    )


def plan_differences(reviewed: PlanSummary, current: DeployPlan) -> list[str]:
    """Why the plan about to deploy is not the reviewed one, one line each."""
    lines = []
    if reviewed.base != current.base_ref:
        lines.append(f"base: reviewed against {reviewed.base}, now {current.base_ref}")
    if len(reviewed.dbt) < SUMMARY_NODES:  # a full list: compare node by node
        added = sorted(set(current.dbt.build) - set(reviewed.dbt))
        removed = sorted(set(reviewed.dbt) - set(current.dbt.build))
        if added:
            lines.append("dbt now also builds: " + ", ".join(_short(u) for u in added))
        if removed:
            lines.append("dbt no longer builds: " + ", ".join(_short(u) for u in removed))
    now = {o.label: o.status for o in current.objects}
    for label in sorted(reviewed.objects.keys() | now.keys()):
        before, after = reviewed.objects.get(label), now.get(label)
        if before != after:
            lines.append(f"{label}: reviewed {before or 'unchanged'}, now {after or 'unchanged'}")
    if reviewed.cube != {c.file: c.status for c in current.cube_models}:
        lines.append("Cube models: other files change than the reviewed ones")
    if not lines:
        lines.append("the same objects and nodes change, with other content (a later push?)")
    return lines


# --- helpers -----------------------------------------------------------------------------

_VOLATILE_CONFIG = ("post-hook", "pre-hook")


def _modified(before: ManifestNode | None, after: ManifestNode) -> str | None:
    if before is None:
        return "new"
    if (before.checksum or "") != (after.checksum or ""):
        return "code changed"
    if _config(before) != _config(after):
        return "config changed"
    if _columns(before) != _columns(after):
        return "columns or their meta changed (classification)"
    if dict(before.meta) != dict(after.meta) or before.tags != after.tags:
        return "meta changed"
    if sorted(before.depends_on_nodes) != sorted(after.depends_on_nodes):
        return "dependencies changed"
    return None


def _config(node: ManifestNode) -> dict[str, Any]:
    return {k: v for k, v in node.config.items() if k not in _VOLATILE_CONFIG}


def _columns(node: ManifestNode) -> dict[str, Any]:
    return {
        name: {
            "data_type": col.get("data_type"),
            "meta": col.get("meta") or {},
            "config_meta": (col.get("config") or {}).get("meta") or {},
            "tags": col.get("tags") or [],
            "constraints": col.get("constraints") or [],
        }
        for name, col in node.columns.items()
    }


def _short(uid: str) -> str:
    parts = uid.split(".")
    return parts[-1] if parts[0] in BUILT_TYPES else uid


def _by_object(docs: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], Mapping[str, Any]]:
    found = {}
    for doc in docs:
        meta = doc.get("metadata") or {}
        name = str(meta.get("name", ""))
        if meta.get("namespace"):
            name = f"{meta['namespace']}/{name}"
        found[(str(doc.get("kind", "")), name)] = doc
    return found


def _flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """Paths to leaves: `spec.replicas`, `spec.template.spec.containers[cube].env[PORT]`.
    List items with a `name` are keyed by it, so a reorder is not a change."""
    if isinstance(data, Mapping):
        flat: dict[str, Any] = {}
        for key, value in data.items():
            flat.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat or {prefix: {}}
    if isinstance(data, list):
        if data and all(isinstance(i, Mapping) and "name" in i for i in data):
            flat = {}
            for item in data:
                rest = {k: v for k, v in item.items() if k != "name"}
                flat.update(_flatten(rest, f"{prefix}[{item['name']}]"))
            return flat
        return {prefix: data}
    return {prefix: data}


def _diff_flat(
    before: Mapping[str, Any], after: Mapping[str, Any], *, secret: bool = False
) -> list[FieldChange]:
    changes = []
    for path in sorted(before.keys() | after.keys()):
        old, new = before.get(path), after.get(path)
        if old == new:
            continue
        hide = secret and path.split(".")[0] in ("data", "stringData")
        hide = hide or is_secret_key(path.rsplit(".", 1)[-1].split("[")[0])
        changes.append(
            FieldChange(
                path=path,
                before=SECRET_SHOWN if hide and old is not None else _shown(old),
                after=SECRET_SHOWN if hide and new is not None else _shown(new),
            )
        )
    return changes


def _shown(value: Any) -> Any:
    if isinstance(value, str) and (len(value) > LONG_TEXT or "\n" in value):
        digest = hashlib.sha256(value.encode()).hexdigest()[:12]
        return f"({value.count(chr(10)) + 1} lines, sha256 {digest})"
    return value
