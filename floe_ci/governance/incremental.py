"""A warm check evaluates what changed: findings reused relation by relation.

Rules of scope "relation" (RuleBase.scope) report on one model, seed or source at a time,
from facts this module keys. A relation's key is a digest of

- the project-wide inputs (floe.yaml as loaded, the check's options, floe-ci's code, where
  each package's files are: `project_key`);
- its manifest node (all of it but dbt's `created_at`; `RuleContext.node_digests` when the
  reader took them) and what the lineage says of it
  (`ColumnLineage.fingerprint`: its columns, what each reads and how);
- for a model, the keys of its parents and of every node its lineage reads (so a change
  reaches every descendant: inherited classifications follow lineage down the DAG);
- for a seed or source, the node and lineage of each model that reads it (FLOE201 skips an
  input column a classified model column takes in).

A relation whose key is unchanged, and whose findings' files have the same content (a
finding's line moves when its properties file changes), keeps the findings it had. The
others are evaluated on a smaller project: those relations with all their ancestors, and the
readers of the inputs among them, so that each rule sees for them exactly what it would see
in the whole project. Rules of scope "project" always run on the whole project. Anything the
keys cannot follow (no lineage fingerprints, a model reading a model that is none of its
ancestors) evaluates everything; reading an ephemeral parent's own parents follows the DAG,
and a seed or source a macro reads without `ref()` is keyed like a parent.
Pure: the caller stores what `Incremental.relations` holds.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol, runtime_checkable

from floe_ci.fastjson import dumps_bytes
from floe_ci.governance.result import Finding
from floe_ci.governance.rules.base import Rule, RuleContext

# dbt's parse time of a node: a full re-parse changes it and nothing else.
_VOLATILE = "created_at"


@runtime_checkable
class LineageFingerprints(Protocol):
    """Lineage that can say what it knows of a relation as bytes (ColumnLineage can)."""

    def fingerprint(self, node_id: str) -> tuple[bytes, frozenset[str]]: ...


@dataclass(frozen=True)
class Stored:
    """A relation's findings (waivers applied: they are its own columns' meta, part of its
    key) under its key, with the content digests of the files they name."""

    key: str
    findings: tuple[Finding, ...] = ()
    files: tuple[tuple[str, str], ...] = ()
    classified: int = 0  # its classified columns, for the check's stats (a model's)


@dataclass(frozen=True)
class Incremental:
    findings: list[Finding]  # every rule's, waivers applied
    relations: dict[str, Stored]  # what to keep for the next run
    evaluated: int  # relations whose rules ran (all of them when nothing could be reused)
    # the models' classified columns, counted from what was reused and what was evaluated
    # (None: the relations could not be keyed, count them all)
    classified: int | None = None


def relation_keys(ctx: RuleContext, project_key: str) -> dict[str, str] | None:
    """Each relation's key; None when the lineage cannot be keyed (evaluate everything)."""
    lineage = ctx.lineage
    if lineage is not None and not isinstance(lineage, LineageFingerprints):
        return None
    base = _digest(
        project_key.encode(),
        dumps_bytes(
            [
                ctx.spec.model_dump(mode="json"),
                ctx.spec_file,
                sorted(ctx.package_roots.items()),
                list(ctx.environments),
                sorted(ctx.rule_keys),
            ]
        ),
    )
    own: dict[str, bytes] = {}
    reads: dict[str, frozenset[str]] = {}
    digests = ctx.node_digests
    for node_id, relation in (*ctx.models.items(), *ctx.inputs.items()):
        known = digests.get(node_id)
        if known is None:
            section = "sources" if relation.resource_type == "source" else "nodes"
            known = entry_digest(section, relation.node)
            if known is None:
                return None  # a node JSON cannot express: nothing can be keyed by it
        parts = [known]
        if lineage is not None:
            fingerprint, read = lineage.fingerprint(node_id)
            parts.append(fingerprint)
            reads[node_id] = read - {node_id}
        own[node_id] = _digest(*parts)
    keys = _model_keys(ctx, base, own, reads)
    if keys is None:
        return None
    readers: dict[str, list[str]] = {}
    for node_id, model in ctx.models.items():
        for parent in model.parents:
            if parent in ctx.inputs:
                readers.setdefault(parent, []).append(node_id)
    for node_id in ctx.inputs:
        parts = [base, own[node_id]]
        parts += (_named(reader, own[reader]) for reader in sorted(readers.get(node_id, ())))
        keys[node_id] = _digest(*parts).hex()
    return keys


def _model_keys(
    ctx: RuleContext, base: bytes, own: Mapping[str, bytes], reads: Mapping[str, frozenset[str]]
) -> dict[str, str] | None:
    """Each model's key from its own digest and its parents' keys, parents first (a
    depth-first walk); None on a cycle or a read of a model that is none of its ancestors."""
    models = ctx.models
    parents_of = {node_id: model.parents for node_id, model in models.items()}
    keys: dict[str, str] = {}
    visiting: set[str] = set()
    no_reads: frozenset[str] = frozenset()
    for start in models:
        if start in keys:
            continue  # keyed as an ancestor of an earlier one
        stack = [(start, False)]
        while stack:
            node_id, expanded = stack.pop()
            if node_id in keys:
                continue
            parents = parents_of[node_id]
            if not expanded:
                visiting.add(node_id)
                stack.append((node_id, True))
                stack.extend((p, False) for p in parents if p in models and p not in visiting)
                continue
            parts = [base, own[node_id]]
            direct = set(parents)
            extra = reads.get(node_id, no_reads) - direct
            hidden = sorted(_outside_ancestors(ctx, node_id, set(extra))) if extra else []
            if any(read in models for read in hidden):
                return None  # reads a model the DAG does not order before it
            # a seed or source read without ref() (a macro picked the relation): keyed too
            parts += (_named(read, own.get(read)) for read in hidden)
            for parent in sorted(direct):
                if parent in models:
                    key = keys.get(parent)
                    if key is None:
                        return None  # a cycle: dbt refuses them, the keys cannot follow one
                    parts.append(f"{parent}\0{key}".encode())
                else:
                    parts.append(_named(parent, own.get(parent)))
            keys[node_id] = _digest(*parts).hex()
    return keys


def _outside_ancestors(ctx: RuleContext, node_id: str, reads: set[str]) -> set[str]:
    """Those of `reads` that are none of the model's ancestors (an ephemeral parent's SQL is
    inlined, so a model's lineage reads that parent's own parents). Walks up only until all
    are found: they are usually a step or two away."""
    left = set(reads)
    seen: set[str] = set()
    waiting = deque(ctx.models[node_id].parents)  # breadth first: the nearest first
    while waiting and left:
        parent = waiting.popleft()
        if parent not in seen:
            seen.add(parent)
            left.discard(parent)
            if parent in ctx.models:
                waiting.extend(ctx.models[parent].parents)
    return left


def evaluate_rules(
    ctx: RuleContext,
    rules: Iterable[type[Rule]],
    project_key: str,
    previous: Mapping[str, Stored],
    file_digest: Callable[[str], str | None],
    waived: Callable[[list[Finding]], list[Finding]],
) -> Incremental:
    """Every rule's findings, reusing `previous` where a relation's key and files are
    unchanged. `file_digest(file)` is the content digest of a file as findings name it
    (None when unreadable); `waived(findings)` applies the waivers of the columns they name
    (a relation's are in its own node: what is stored is kept waived)."""
    rules = list(rules)
    per_relation = [rule for rule in rules if rule.scope == "relation"]
    findings = [f for rule in rules if rule.scope != "relation" for f in rule().check(ctx)]
    keys = relation_keys(ctx, project_key)
    every = [*ctx.models, *ctx.inputs]
    if keys is None:
        findings += [f for rule in per_relation for f in rule().check(ctx)]
        return Incremental(waived(findings), {}, len(every))
    reused: dict[str, Stored] = {}
    for node_id in every:
        stored = previous.get(node_id)
        if (
            stored is not None
            and stored.key == keys[node_id]
            and all(file_digest(file) == digest for file, digest in stored.files)
        ):
            reused[node_id] = stored
    dirty = [node_id for node_id in every if node_id not in reused]
    scope = ctx if len(dirty) == len(every) else _sub_context(ctx, dirty)
    fresh: dict[str, list[Finding]] = {node_id: [] for node_id in dirty}
    for rule in per_relation:
        for finding in rule().check(scope):
            bucket = fresh.get(finding.node_id or "")
            if bucket is not None:
                bucket.append(finding)
            elif finding.node_id is None or scope is ctx:
                findings.append(finding)  # a relation rule's finding of no relation: kept
    findings = waived(findings)
    fresh = {node_id: waived(made) for node_id, made in fresh.items()}
    relations = dict(reused)
    classified = sum(stored.classified for stored in reused.values())
    for node_id, made in fresh.items():
        model = ctx.models.get(node_id)
        count = model.classified_count() if model is not None else 0
        classified += count
        files = sorted({f.file for f in made if f.file})
        digests = [(file, file_digest(file)) for file in files]
        if all(digest is not None for _file, digest in digests):
            relations[node_id] = Stored(
                keys[node_id], tuple(made), tuple((f, str(d)) for f, d in digests), count
            )
    for stored in reused.values():
        findings.extend(stored.findings)
    for made in fresh.values():
        findings.extend(made)
    return Incremental(findings, relations, len(dirty), classified)


def _sub_context(ctx: RuleContext, dirty: Iterable[str]) -> RuleContext:
    """The project as the dirty relations' rules see it: the dirty models with every
    ancestor, the dirty inputs with their readers, and the inputs all of those read."""
    models: set[str] = set()
    inputs: set[str] = set()
    waiting: list[str] = []
    for node_id in dirty:
        if node_id in ctx.models:
            waiting.append(node_id)
        else:
            inputs.add(node_id)
    # the readers of a dirty input: their own classifications and lineage are what it needs
    models.update(m for m, model in ctx.models.items() if any(p in inputs for p in model.parents))
    visited: set[str] = set()
    while waiting:
        node_id = waiting.pop()
        if node_id in visited:
            continue
        visited.add(node_id)
        for parent in ctx.models[node_id].parents:
            if parent in ctx.models and parent not in visited:
                waiting.append(parent)
    models |= visited
    for node_id in models:
        inputs.update(p for p in ctx.models[node_id].parents if p in ctx.inputs)
    return replace(
        ctx,
        models={k: v for k, v in ctx.models.items() if k in models},
        inputs={k: v for k, v in ctx.inputs.items() if k in inputs},
        cache={},
    )


def entry_digest(section: str, node: Any) -> bytes | None:
    """The digest of a manifest entry of `section` ("nodes", "sources", ...): its JSON, all
    of it but dbt's parse time; None when it has no JSON form. The manifest's reader takes
    the same digests (integrations/dbt/manifest_file.node_digests): a node is keyed alike
    whether the reader gave its digest or it is taken here."""
    if isinstance(node, dict) and _VOLATILE in node:
        node = dict(node)
        del node[_VOLATILE]  # absent and present alike
    try:
        text = dumps_bytes(node)
    except (RecursionError, TypeError, ValueError):
        return None
    # sha256, not blake2b: twice as fast on CPUs with SHA extensions (20 MB at 5,000 models)
    digest = hashlib.sha256(section.encode() + b"\0")
    digest.update(text)
    return digest.digest()[:16]


def _named(node_id: str, digest: bytes | None) -> bytes:
    """A node and its own digest, as one part of another's key ("absent": no such node)."""
    return f"{node_id}\0{digest.hex() if digest else 'absent'}".encode()


def _digest(*parts: bytes) -> bytes:
    """One digest of the parts, each length-prefixed (no two lists of parts give one)."""
    framed = b"".join(len(part).to_bytes(8, "little") + part for part in parts)
    return hashlib.blake2b(framed, digest_size=16).digest()
