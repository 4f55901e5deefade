"""What a rule is, how it is registered, and the facts every rule reads (RuleContext).

A rule is a small class registered by `@register` under a stable id and a slug. Its
docstring is its documentation: the first line is the summary `floe-ci rules` lists, the
rest explains why and how to fix (SARIF, the Markdown summary and the README read it too).
There are two kinds, registered the same way:

- `Rule` (FLOE1xx-4xx), run by `floe-ci check` over one revision's facts: `check(ctx)`;
- `ReviewRule` (FLOE5xx, in rules/review.py), run by the pull-request review over the head's
  facts and the Plan's changes: `review(head, changes)`.

The registry's lookups (`all_rules`, `find_rule`, ...) are in rules/registry.py, which
imports every rule module; the table they read is here, so that a rule module needs only
this module (and nothing imports the registry back).
"""

from __future__ import annotations

import inspect
import posixpath
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar, Literal, Protocol, TypeVar

from floe_ci.artifacts import ColumnClassification
from floe_ci.governance.result import Environment, Finding, Severity
from floe_ci.spec.models import FloeSpec

Scope = Literal["relation", "project"]
# (dbt node, column name) -> (file, line) of the column in its properties YAML.
ColumnLocator = Callable[[Mapping[str, Any], str], tuple[str | None, int | None]]
# floe.yaml key path -> (line, column), or None when the key is absent.
SpecLocator = Callable[[tuple[str | int, ...]], tuple[int, int] | None]


class ColumnRefLike(Protocol):
    """One column of one dbt node (floe_ci.lineage.ColumnRef satisfies it)."""

    @property
    def node_id(self) -> str: ...

    @property
    def column(self) -> str: ...


class ColumnLineage(Protocol):
    """Column-level lineage as the rules read it (floe_ci.lineage.ColumnLineage satisfies it)."""

    def upstream(self, node_id: str, column: str) -> Sequence[ColumnRefLike]:
        """The columns `column` of `node_id` is computed from, one step up."""
        ...

    def upstream_by_column(self, node_id: str) -> Mapping[str, Sequence[ColumnRefLike]]:
        """`upstream` of every output column of the model (lower-case names) at once."""
        ...

    def columns(self, node_id: str) -> list[str] | None:
        """Output columns of the model's SQL (lower case); None when unknown."""
        ...

    def unresolved(self, node_id: str) -> Mapping[str, str]:
        """Columns (or `*` for the whole model) whose lineage is unknown -> reason."""
        ...

    def model_error(self, node_id: str) -> str | None:
        """Why the model's SQL gave no columns at all, when it did not."""
        ...

    def relation_columns(self, node_id: str) -> list[str] | None:
        """Columns of any relation as lineage knows them (a seed's CSV header, a source's
        declared columns, a model's SQL output); None when unknown."""
        ...


@dataclass(slots=True)  # hundreds of thousands at 50,000 models: no __dict__ each
class ColumnFacts:
    """A model column as declared in the properties YAML and/or seen by lineage."""

    name: str
    declared: bool
    data_type: str | None = None
    meta: Any = None  # the raw `floe` meta block, None when absent
    classification: ColumnClassification | None = None
    waive: frozenset[str] = frozenset()
    waive_reason: str | None = None


class ColumnFactsSource(Protocol):
    """Makes a relation's column facts when they are first read (governance.evaluate's)."""

    def __call__(self, relation: ModelFacts) -> dict[str, ColumnFacts]: ...

    def classified(self, relation: ModelFacts) -> int:
        """How many of its columns are classified, without making their facts."""
        ...


@dataclass
class ModelFacts:
    """A model (in `RuleContext.models`), or a seed or source (in `RuleContext.inputs`)."""

    node_id: str
    name: str
    node: Mapping[str, Any]
    resource_type: str = "model"  # "model", "seed" or "source"
    # Column facts are made on first read: a warm check's rules read those of the few
    # relations a change reaches, not the hundreds of thousands of a large project's.
    facts_of: ColumnFactsSource | None = field(default=None, repr=False, compare=False)

    @cached_property
    def columns(self) -> dict[str, ColumnFacts]:
        """Its columns by lower-case name: declared ones, then those only lineage knows."""
        return {} if self.facts_of is None else self.facts_of(self)

    def classified_count(self) -> int:
        """How many of its columns are classified (their facts are not made for this)."""
        if self.facts_of is None or "columns" in self.__dict__:
            return sum(1 for c in self.columns.values() if c.classification is not None)
        return self.facts_of.classified(self)

    @property
    def package(self) -> str:
        return str(self.node.get("package_name") or "")

    @cached_property
    def parents(self) -> list[str]:
        """unique_ids the model depends on (read once: rules ask for them many times)."""
        return list((self.node.get("depends_on") or {}).get("nodes") or [])


@dataclass
class RuleContext:
    """Everything a rule may read. Built once per check; rules never mutate it."""

    spec: FloeSpec
    spec_file: str
    models: dict[str, ModelFacts]  # by node_id
    locate_column: ColumnLocator
    locate_spec: SpecLocator
    environments: tuple[Environment, ...]
    # Every id and slug a waiver may name, lower case (registry.rule_keys; FLOE109 reads it).
    rule_keys: frozenset[str]
    lineage: ColumnLineage | None = None
    cache: dict[str, Any] = field(default_factory=dict)
    # Seeds and sources by unique_id, with their declared columns (and a seed's CSV header
    # or a source's columns as lineage knows them): the project's inputs, for rules that
    # check data where it enters (FLOE201). `resource_type` tells them apart.
    inputs: dict[str, ModelFacts] = field(default_factory=dict)
    # dbt package -> its folder relative to floe.yaml's folder ("." for the root project,
    # ".." for a local package one level up, "dbt_packages/x" for an installed one). A
    # node's `original_file_path`/`patch_path` are relative to its package's folder; files
    # in findings are relative to floe.yaml's folder: `package_file` joins the two.
    package_roots: Mapping[str, str] = field(default_factory=dict)
    # unique_id -> a digest of the node's content as the manifest was read (all of it but
    # dbt's parse time); what the incremental evaluation keys a node by (may be empty).
    node_digests: Mapping[str, bytes] = field(default_factory=dict)

    @cached_property
    def by_name(self) -> dict[str, ModelFacts]:
        return {model.name: model for model in self.models.values()}

    def package_file(self, node: Mapping[str, Any], relative: str | None) -> str | None:
        """A file named relative to the node's package, relative to floe.yaml's folder."""
        return join_package_path(self.package_roots, node, relative)

    def sql_file(self, model: ModelFacts) -> str | None:
        """The model's SQL (or a seed's CSV, a source's YAML) file, as findings name it."""
        file, _ = self.locate_column(_sql_file_only(model), "")
        return file

    def column_location(
        self, model: ModelFacts, column: str
    ) -> tuple[str | None, int | None, int | None]:
        """File and line of the column: its properties YAML entry, else its name in the SQL."""
        facts = model.columns.get(column.lower())
        if facts is not None and facts.declared:
            file, line = self.locate_column(model.node, facts.name)
            return file, line, None
        if model.node.get("resource_type") == "source":
            # a column only the warehouse knows: the line of the source table's entry
            file, line = self.locate_column(model.node, column)
            return file, line, None
        return _sql_location(self, model, column)


def join_package_path(
    package_roots: Mapping[str, str], node: Mapping[str, Any], relative: str | None
) -> str | None:
    """`relative` (to the node's package) relative to floe.yaml's folder, normalised
    (`../models/x.sql`); unchanged when the package's folder is unknown or `.`."""
    if not relative:
        return None
    root = package_roots.get(str(node.get("package_name") or ""), ".")
    if root in ("", "."):
        return relative
    return posixpath.normpath(posixpath.join(root, relative))


def _sql_file_only(model: ModelFacts) -> dict[str, Any]:
    """The node as a locator sees it when only its SQL file is wanted."""
    return {
        "name": model.name,
        "package_name": model.node.get("package_name"),
        "original_file_path": model.node.get("original_file_path"),
    }


def _sql_location(
    ctx: RuleContext, model: ModelFacts, column: str
) -> tuple[str | None, int | None, int | None]:
    from floe_ci.governance.rules.sql_position import find_column_in_sql

    file, _ = ctx.locate_column(_sql_file_only(model), column)
    position = find_column_in_sql(str(model.node.get("raw_code") or ""), column)
    if position is None:
        return file, None, None
    return file, position[0], position[1]


class RuleBase:
    """What every registered rule has: an id, a slug, a severity and its documentation."""

    id: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity]
    # "relation": every finding is about one relation (its node_id) and follows from the
    # facts governance.incremental keys it by (the relation, its ancestors, a seed's or
    # source's children), so a warm check reuses it while they are unchanged. "project":
    # reads the whole project (or only floe.yaml); always evaluated.
    scope: ClassVar[Scope] = "project"

    @classmethod
    def summary(cls) -> str:
        return cls.documentation().split("\n", 1)[0].strip()

    @classmethod
    def documentation(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def help_text(cls) -> str:
        """The documentation without its summary line."""
        parts = cls.documentation().split("\n", 1)
        return parts[1].strip() if len(parts) > 1 else parts[0]

    def finding(
        self, message: str, hint: str, severity: Severity | None = None, **where: Any
    ) -> Finding:
        """A finding of this rule; `where` locates it (model, node_id, column, file, line...)."""
        return Finding(
            rule_id=self.id,
            rule_name=self.name,
            severity=severity or self.severity,
            message=message,
            hint=hint,
            **where,
        )


class Rule(RuleBase):
    """A rule of `floe-ci check`: subclasses set the class attributes and implement `check`.

    `check` reads only the RuleContext and yields findings, made with the helpers below so
    that every finding of a column points at the same place.
    """

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        raise TypeError(f"{type(self).__name__} must implement check()")  # pragma: no cover

    def column_finding(
        self,
        ctx: RuleContext,
        model: ModelFacts,
        column: str,
        message: str,
        hint: str,
        lineage_path: Iterable[str] = (),
        severity: Severity | None = None,
    ) -> Finding:
        file, line, col = ctx.column_location(model, column)
        facts = model.columns.get(column.lower())
        return self.finding(
            message,
            hint,
            severity,
            model=model.name,
            node_id=model.node_id,
            column=facts.name if facts else column,
            file=file,
            line=line,
            column_number=col,
            lineage_path=list(lineage_path),
        )

    def model_finding(
        self, ctx: RuleContext, model: ModelFacts, message: str, hint: str
    ) -> Finding:
        file, _ = ctx.locate_column(_sql_file_only(model), "")
        return self.finding(
            message,
            hint,
            model=model.name,
            node_id=model.node_id,
            file=file,
        )

    def spec_finding(
        self, ctx: RuleContext, path: tuple[str | int, ...], message: str, hint: str
    ) -> Finding:
        position = ctx.locate_spec(path)
        return self.finding(
            message,
            hint,
            file=ctx.spec_file,
            line=position[0] if position else None,
            column_number=position[1] if position else None,
        )


# Every registered rule, check and review, by id (registry.py reads it; rules fill it).
_REGISTERED: dict[str, type[RuleBase]] = {}
R = TypeVar("R", bound=type[RuleBase])


def register(rule: R) -> R:
    """Class decorator: make the rule known under its id and its slug."""
    taken = {key.lower() for known in _REGISTERED.values() for key in (known.id, known.name)}
    if rule.id.lower() in taken or rule.name.lower() in taken:
        raise ValueError(f"rule {rule.id} ({rule.name}) is registered twice")
    if not rule.__doc__:
        raise ValueError(f"rule {rule.id} needs a docstring: it is the rule's documentation")
    _REGISTERED[rule.id] = rule
    return rule


def registered() -> list[type[RuleBase]]:
    """The rules registered so far, by id; rules/registry.py imports them all first."""
    return sorted(_REGISTERED.values(), key=lambda rule: rule.id)
