"""dbt's compile context for models whose macros need it, the warehouse answered from a catalog.

Fivetran's packages (`fill_staging_columns`, `union_data`), `dbt_utils.star` and the like
ask the warehouse, while compiling, for the columns of a relation
(`adapter.get_columns_in_relation`) or whether it exists (`adapter.get_relation`). dbt
answers each with a query, but compiling a model with dbt also builds its whole context
(every macro of every package, per model): on Fivetran's projects, where most models do
this (100 of HubSpot's 125), `dbt compile` cost about half a `dbt parse`. Given
catalog.json (what `dbt docs generate` read from the warehouse), those questions have their
answers without a connection, and the model renders here, with the names dbt defines:

- the macro namespace dbt builds for a node (dbt/context/macros.py): the node's package,
  the root project, packages by name, `dbt` and the adapter's internal packages; macros
  compiled once and bound per model, only those the model reaches;
- `adapter.dispatch` with the root project's `dispatch:` search orders and the adapter's
  prefixes (`duckdb__`, its parents', `default__`), as dbt/context/providers.py searches;
- `return()`, `execute` (True), `exceptions.warn`, `log`, `modules`, `api.Relation` and
  `api.Column` (the adapter's own classes), and relations for `ref`, `source` and `this`,
  each checked to print as the manifest's relation name;
- `adapter.get_columns_in_relation` / `adapter.get_relation` from the catalog, for the
  relations the manifest's nodes name (a node the catalog lacks is not in the warehouse).

Anything else (`run_query`, `statement`, `graph`, `flags`, a relation no node names, a
compiler error) raises NeedsDbt: the model goes to `dbt compile`. Nothing is approximated.
"""

from __future__ import annotations

import collections
import datetime
import itertools
import json
import re
from collections.abc import Callable, Mapping
from typing import Any


class NeedsDbt(Exception):
    """The model uses something only dbt (or the warehouse itself) can answer."""


class _MacroReturn(Exception):
    def __init__(self, value: Any) -> None:
        super().__init__()
        self.value = value


def _return(value: Any) -> None:
    raise _MacroReturn(value)


class _Refused:
    """A part of dbt's context not given here (`graph`, `run_query`): any use needs dbt."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        if name in ("unsafe_callable", "alters_data"):  # the sandbox asks before a call
            return False
        raise NeedsDbt(f"`{self._name}.{name}`")

    def __call__(self, *_args: Any, **_kwargs: Any) -> Any:
        raise NeedsDbt(f"`{self._name}()`")

    def __getitem__(self, _key: Any) -> Any:
        raise NeedsDbt(f"`{self._name}[...]`")

    def __iter__(self) -> Any:
        raise NeedsDbt(f"`{self._name}`")

    def __str__(self) -> str:
        raise NeedsDbt(f"`{self._name}`")


def _refuse(what: str) -> Callable[..., Any]:
    def refused(*_args: Any, **_kwargs: Any) -> Any:
        raise NeedsDbt(what)

    return refused


class AdapterFacts:
    """What the manifest's adapter gives a compile: its classes, dispatch prefixes and
    internal packages (dbt's own macros and the adapter's overrides of them)."""

    def __init__(self, adapter_type: str) -> None:
        from dbt.adapters.factory import FACTORY

        FACTORY.load_plugin(adapter_type)
        plugins = FACTORY.get_adapter_plugins(adapter_type)
        adapter: Any = plugins[0].adapter
        self.type = adapter_type
        self.relation_class: Any = adapter.Relation
        self.column_class: Any = adapter.Column
        self.quote: Callable[[str], str] = adapter.quote
        self.prefixes = [plugin.adapter.type() for plugin in plugins] + ["default"]
        self.internal = [plugin.project_name for plugin in plugins] + ["dbt"]


class CatalogAnswers:
    """The warehouse's answers a compile asks for, from the catalog: relation -> columns."""

    def __init__(
        self,
        manifest: Mapping[str, Any],
        columns: Mapping[str, list[list[str]]] | None,
        facts: AdapterFacts,
    ) -> None:
        self.columns = columns
        self.facts = facts
        # relation name as dbt prints it -> the node; (schema, identifier) lower -> the node
        self.by_relation: dict[str, Mapping[str, Any]] = {}
        self.by_path: dict[tuple[str, str], Mapping[str, Any]] = {}
        for section in ("nodes", "sources"):
            for node in (manifest.get(section) or {}).values():
                if node.get("resource_type") not in ("model", "seed", "snapshot", "source"):
                    continue
                relation = node.get("relation_name")
                if isinstance(relation, str):
                    self.by_relation[relation] = node
                    self.by_path[(_lower(node.get("schema")), _lower(identifier_of(node)))] = node

    def relation_of(self, node: Mapping[str, Any]) -> Any:
        """The adapter's relation for a node, checked to print as its relation name."""
        relation = self.facts.relation_class.create(
            database=node.get("database"),
            schema=node.get("schema"),
            identifier=identifier_of(node),
        )
        if str(relation) != node.get("relation_name"):
            raise NeedsDbt("a relation that prints unlike the manifest's relation name")
        return relation

    def relation_named(self, name: Any) -> Any:
        node = self.by_relation.get(str(name)) if isinstance(name, str) else None
        if node is None:
            raise NeedsDbt("a relation the manifest does not name")
        return self.relation_of(node)

    def get_columns_in_relation(self, relation: Any) -> list[Any]:
        if self.columns is None:
            raise NeedsDbt("the columns of a relation, with no catalog to answer")
        key = f"{_lower(getattr(relation, 'schema', None))}.{_lower(_ident(relation))}"
        if (_lower(getattr(relation, "schema", None)), _lower(_ident(relation))) not in (
            self.by_path
        ):
            raise NeedsDbt("the columns of a relation the manifest does not name")
        found = self.columns.get(key)
        if found is None:  # not built: the unbuilt-relations path answers it, or dbt
            raise NeedsDbt(f"the columns of {relation}, which the catalog does not have")
        column = self.facts.column_class
        return [column.create(name, dtype or "text") for name, dtype in found]

    def get_relation(self, database: Any = None, schema: Any = None, identifier: Any = None) -> Any:
        if self.columns is None:
            raise NeedsDbt("whether a relation exists, with no catalog to answer")
        node = self.by_path.get((_lower(schema), _lower(identifier)))
        other_database = (
            node is not None
            and database is not None
            and _lower(node.get("database")) != _lower(database)
        )
        if node is None or other_database:
            raise NeedsDbt("whether a relation the manifest does not name exists")
        if f"{_lower(schema)}.{_lower(identifier)}" not in self.columns:
            return None  # the catalog lists what the warehouse has: not there
        return self.relation_of(node)


class DbtAdapter:
    """`adapter` in the context: dispatch, and the two warehouse questions, from the catalog."""

    def __init__(self, answers: CatalogAnswers, dispatch: Callable[..., Any]) -> None:
        self._answers = answers
        self.dispatch = dispatch
        self.get_columns_in_relation = answers.get_columns_in_relation
        self.get_relation = answers.get_relation
        self.quote = answers.facts.quote

    def type(self) -> str:
        return self._answers.facts.type

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return _refuse(f"adapter.{name}")


class _Api:
    def __init__(self, facts: AdapterFacts) -> None:
        self.Relation = facts.relation_class
        self.Column = facts.column_class


class _Exceptions:
    def warn(self, *_args: Any, **_kwargs: Any) -> str:
        return ""  # a warning changes nothing in the SQL

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return _refuse(f"exceptions.{name}")  # raise_compiler_error: dbt gives its message


class _Config:
    """`config`: `config(...)` renders nothing; `config.get` reads the node's config."""

    def __init__(self, node: Mapping[str, Any]) -> None:
        self._config: Mapping[str, Any] = node.get("config") or {}

    def __call__(self, *_args: Any, **_kwargs: Any) -> str:
        return ""

    def get(self, name: str, default: Any = None) -> Any:
        value = self._config.get(name)
        return default if value is None else value


class _Target:
    """`target`: the fields known of the profile's target; any other one needs dbt."""

    def __init__(self, fields: Mapping[str, str]) -> None:
        self._fields = dict(fields)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in self._fields:
            raise NeedsDbt(f"target.{name}")
        return self._fields[name]

    def __getitem__(self, name: str) -> Any:
        return self.__getattr__(name)


class _Modules:
    datetime = datetime
    itertools = itertools
    re = re


def dbt_environment() -> Any:
    """The environment of dbt's compile, but for names no context defines.

    dbt compiles with Jinja's lenient Undefined: a key a dict lacks (`column.datatype`)
    renders empty and is falsy. The same here; but a *name* the context lacks would be a
    part of dbt's context not given here (`graph`, `flags`, `model`, ...), so it raises
    and the model goes to dbt."""
    import jinja2
    import jinja2.ext
    import jinja2.sandbox

    class DbtUndefined(jinja2.Undefined):
        def _fail_if_a_name(self) -> None:
            if self._undefined_obj is jinja2.utils.missing:
                self._fail_with_undefined_error()

        def __str__(self) -> str:
            self._fail_if_a_name()
            return ""

        def __bool__(self) -> bool:
            self._fail_if_a_name()
            return False

        def __iter__(self) -> Any:
            self._fail_if_a_name()
            return iter(())

        def __getattr__(self, name: str) -> Any:
            if name[:2] == "__":
                raise AttributeError(name)
            self._fail_with_undefined_error()

        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            self._fail_with_undefined_error()

    return jinja2.sandbox.SandboxedEnvironment(
        extensions=[jinja2.ext.do, jinja2.ext.loopcontrols], undefined=DbtUndefined
    )


class MacroIndex:
    """The manifest's macros by package and name, each compiled once into a template."""

    def __init__(self, manifest: Mapping[str, Any], env: Any, facts: AdapterFacts) -> None:
        self.env = env
        self.facts = facts
        self.by_package: dict[str, dict[str, str]] = {}
        self.macros: Mapping[str, Any] = manifest.get("macros") or {}
        for uid, macro in self.macros.items():
            package = str(macro.get("package_name"))
            self.by_package.setdefault(package, {})[str(macro.get("name"))] = uid
        # `dbt` in a context: the internal packages merged, the first named winning
        self.internal: dict[str, str] = {}
        for package in reversed(facts.internal):
            self.internal.update(self.by_package.get(package, {}))
        self._templates: dict[str, Any] = {}
        # the packages by name a context holds (dbt's `packages`): all but the internal ones
        self.packages = {
            name: macros for name, macros in self.by_package.items() if name not in facts.internal
        }

    def template(self, uid: str) -> Any:
        found = self._templates.get(uid)
        if found is None:
            text = self.macros[uid].get("macro_sql")
            if not isinstance(text, str):
                raise NeedsDbt("a macro without its text")
            found = self._templates[uid] = self.env.from_string(text)
        return found


class NodeNamespace(dict[str, Any]):
    """The names a model's Jinja sees, in dbt's order: the context's own names, then its
    macros (the node's package, the root project, packages by name, `dbt`, internal),
    macros bound to this namespace on first use (Jinja looks names up in it at call time)."""

    def __init__(
        self, index: MacroIndex, package: str, root: str, context: Mapping[str, Any]
    ) -> None:
        # Jinja's own globals (`range`, `namespace`, `dict`, ...): a shared context has none
        super().__init__({**index.env.globals, **context})
        self.index = index
        self.local = index.by_package.get(package, {})
        self.root = index.by_package.get(root, {}) if root != package else {}
        for name in ("ref", "source", "config", "var", "env_var", "this"):
            if name in self.local or name in self.root:  # the project overrides dbt's own
                raise NeedsDbt(f"the project's own `{name}` macro")
        self.packages = index.packages
        self._bound: dict[str, Any] = {}

    def _lookup(self, key: str) -> Any:
        for flat in (self.local, self.root):
            if key in flat:
                return self.macro(flat[key])
        if key in self.packages:
            return PackageNamespace(self, self.packages[key])
        if key == "dbt":
            return PackageNamespace(self, self.index.internal)
        if key in self.index.internal:
            return self.macro(self.index.internal[key])
        raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        if dict.__contains__(self, key):
            return True
        return isinstance(key, str) and (
            key in self.local
            or key in self.root
            or key in self.packages
            or key == "dbt"
            or key in self.index.internal
        )

    def __missing__(self, key: str) -> Any:
        value = self._lookup(key)
        self[key] = value
        return value

    def macro(self, uid: str) -> Callable[..., Any]:
        bound = self._bound.get(uid)
        if bound is None:
            name = str(self.index.macros[uid].get("name"))
            defined = defined_names(self.index.template(uid), self).get(name)
            if defined is None:
                raise NeedsDbt(f"macro {name} did not define itself")
            bound = self._bound[uid] = _call_with_return(defined)
        return bound

    def from_package(self, package: str | None, name: str) -> Callable[..., Any] | None:
        """`get_from_package` of dbt's MacroNamespace."""
        if package is None:
            return self[name] if name in self and callable(self[name]) else None
        if package == "dbt":
            uid = self.index.internal.get(name)
        elif package in self.packages:
            uid = self.packages[package].get(name)
        else:
            return None  # dbt's PackageNotFoundForMacroError, which dispatch passes over
        return None if uid is None else self.macro(uid)


class PackageNamespace:
    """`fivetran_utils.fill_staging_columns`: a package's macros, by attribute or key."""

    def __init__(self, namespace: NodeNamespace, macros: Mapping[str, str]) -> None:
        self._namespace = namespace
        self._macros = macros

    def __getitem__(self, name: str) -> Any:
        uid = self._macros.get(name)
        if uid is None:
            raise NeedsDbt(f"no macro {name} in that package")
        return self._namespace.macro(uid)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return self[name]

    def __contains__(self, name: object) -> bool:
        return name in self._macros


def defined_names(template: Any, context: Any) -> dict[str, Any]:
    """Run a template's top level in `context` (a `{% macro %}` defines itself there and
    renders nothing) and return the names it defined."""
    module = template.new_context(context, shared=True)
    collections.deque(template.root_render_func(module), maxlen=0)
    return dict(module.vars)


def _call_with_return(macro: Any) -> Callable[..., Any]:
    """A Jinja macro called as dbt calls it: `return(value)` gives the value."""

    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return str(macro(*args, **kwargs))
        except _MacroReturn as returned:
            return returned.value

    return call


def dispatcher(
    namespace: NodeNamespace,
    facts: AdapterFacts,
    search_orders: Mapping[str, list[str]],
    root_project: str,
    dependencies: set[str],
) -> Callable[..., Any]:
    """`adapter.dispatch(name, macro_namespace)`, searched as dbt's BaseDatabaseWrapper does."""

    def dispatch(macro_name: str, macro_namespace: str | None = None, **_: Any) -> Any:
        if "." in str(macro_name):
            raise NeedsDbt("adapter.dispatch of a dotted name (dbt refuses it)")
        packages: list[str | None] = [None]
        if isinstance(macro_namespace, str):
            if macro_namespace in search_orders:
                packages = list(search_orders[macro_namespace])
            elif macro_namespace in dependencies:
                packages = [root_project, macro_namespace]
        elif macro_namespace is not None:
            raise NeedsDbt("adapter.dispatch with a macro_namespace that is not a string")
        for package in packages:
            for prefix in facts.prefixes:
                found = namespace.from_package(package, f"{prefix}__{macro_name}")
                if found is not None:
                    return found
        raise NeedsDbt(f"adapter.dispatch found no {macro_name}")

    return dispatch


def search_orders(project_config: Mapping[str, Any]) -> dict[str, list[str]]:
    """The root project's `dispatch:` entries: macro_namespace -> search_order."""
    found: dict[str, list[str]] = {}
    for entry in project_config.get("dispatch") or []:
        if isinstance(entry, Mapping) and isinstance(entry.get("search_order"), list):
            found[str(entry.get("macro_namespace"))] = [str(p) for p in entry["search_order"]]
    return found


def context_names(
    node: Mapping[str, Any],
    answers: CatalogAnswers,
    ref: Callable[..., Any],
    source: Callable[..., Any],
    target: Mapping[str, str],
) -> dict[str, Any]:
    """The context's own names (before macros), as a model's compile sees them."""
    facts = answers.facts

    def relation_ref(*args: Any, **kwargs: Any) -> Any:
        return answers.relation_named(ref(*args, **kwargs))

    def relation_source(source_name: str, table: str) -> Any:
        return answers.relation_named(source(source_name, table))

    return {
        "ref": relation_ref,
        "source": relation_source,
        "this": answers.relation_named(node.get("relation_name")),
        "config": _Config(node),
        "execute": True,
        "return": _return,
        "exceptions": _Exceptions(),
        "log": lambda *_args, **_kwargs: "",
        "modules": _Modules(),
        "api": _Api(facts),
        "target": _Target({**target, "type": facts.type}),
        "zip": zip,
        "set": set,
        "tojson": lambda value, *a, **k: json.dumps(value, *a, **k),
        "fromjson": lambda text, default=None: _fromjson(text, default),
        **{name: _Refused(name) for name in _NOT_GIVEN},
    }


# dbt's context names whose answers need dbt itself: a model using them goes to dbt
_NOT_GIVEN = (
    "run_query",
    "statement",
    "load_result",
    "graph",
    "flags",
    "model",
    "invocation_id",
    "run_started_at",
    "selected_resources",
    "store_result",
    "store_raw_result",
    "write",
    "context",
)


def _fromjson(text: Any, default: Any) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return default


def identifier_of(node: Mapping[str, Any]) -> Any:
    """The relation's identifier dbt uses: a source's identifier, a node's alias, else its name."""
    if node.get("resource_type") == "source":
        return node.get("identifier") or node.get("name")
    return node.get("alias") or node.get("name")


def _ident(relation: Any) -> Any:
    return getattr(relation, "identifier", None)


def _lower(value: Any) -> str:
    return str(value).lower() if value is not None else ""
