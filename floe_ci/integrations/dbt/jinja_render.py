"""Render models whose Jinja stays within what the manifest fully determines, without dbt.

Beyond plain `ref()`/`source()` (compiled_sql._Renderer), many models use `{% set %}`,
`{% for %}`, `{% if var(...) %}` or a macro of the project. Jinja itself (the library dbt
renders with, in the same sandboxed environment with the `do` and `loopcontrols`
extensions) renders them given these names, each defined as dbt defines it:

- `ref`, `source`, `this`: the relation names of the manifest (as `dbt compile` prints them);
- `config(...)`: nothing; `var(name[, default])`: the vars of dbt_project.yml;
- `env_var(name[, default])`: the variable it names (a secret one as a placeholder;
  `DBT_ENV_SECRET_*` refused, as dbt refuses it outside profiles);
- `is_incremental()`: False, as `dbt compile` says against an empty in-memory warehouse
  (the full, non-incremental query);
- the macros the model calls (`depends_on.macros`), from their `macro_sql`, when each name
  is unique.

Any other name (`target`, `adapter`, `run_query`, `dbt_utils.*`, ...) is undefined and
raises: the model then goes to `dbt compile`. Nothing is approximated.

A model refused so is tried once more in dbt's own compile context (jinja_dbt_context:
package macros, `adapter.dispatch`, dbt's cross-database macros such as
`dbt.current_timestamp()`), its warehouse questions answered from the catalog when there
is one (`columns`), else refused; the models rendered with a catalog are in
`read_catalog`: their SQL depends on the catalog too.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from floe_ci.integrations.dbt.packages import PackageVars
from floe_ci.integrations.dbt.project import DbtProject
from floe_ci.redaction import DBT_SECRET_PREFIX, is_secret_name, placeholder

_MISSING = object()
# Macros dbt's own package defines that need the adapter, a connection or the graph.
_NOT_RENDERABLE_PACKAGES = {"dbt"}


class _Unrenderable(Exception):
    """This model needs dbt."""


class JinjaRenderer:
    def __init__(
        self,
        manifest: Mapping[str, Any],
        project: DbtProject | None,
        ref: Callable[[Mapping[str, Any], list[str], dict[str, Any]], str | None],
        source: Callable[[str, str], str | None],
        columns: Mapping[str, list[list[str]]] | None = None,
        target_fields: Callable[[], Mapping[str, str]] | None = None,
        package_vars: PackageVars | None = None,
    ) -> None:
        import jinja2
        import jinja2.ext
        import jinja2.sandbox

        self._jinja = jinja2
        self.manifest = manifest
        self.macros: Mapping[str, Any] = manifest.get("macros") or {}
        self._ref, self._source = ref, source
        self.vars = _project_vars(project)
        self._project_config: Mapping[str, Any] = project.config if project is not None else {}
        self._project = project
        self._package_vars = package_vars or PackageVars(project)
        # unique_id -> why the model may not be rendered (as dbt would refuse it)
        self.refused: dict[str, str] = {}
        self.columns = columns
        self._target_fields = target_fields  # `target.*`, computed when a model needs it
        self.read_catalog: set[str] = set()
        self._dbt_context: Any = None  # (MacroIndex, CatalogAnswers, dispatch facts), lazily
        # ref() -> the node it names (compiled_sql._Renderer.resolve): ephemeral models
        # become CTEs, as dbt injects them
        self.resolve: Callable[[Mapping[str, Any], list[str], dict[str, Any]], Any] | None = None
        # ephemeral unique_id -> (its SQL before injection, its CTEs), rendered once
        self._ephemeral: dict[str, tuple[str, list[tuple[str, str]]]] = {}
        self.env = jinja2.sandbox.SandboxedEnvironment(
            extensions=[jinja2.ext.do, jinja2.ext.loopcontrols],
            undefined=jinja2.StrictUndefined,
        )

    def render(self, node: Mapping[str, Any]) -> str | None:
        """The model's compiled SQL, or None when it uses something only dbt can render."""
        raw = node.get("raw_code")
        if not isinstance(raw, str):
            return None
        rendered = self._render_plain(node, raw)
        if rendered is not None or str(node.get("unique_id") or "") in self.refused:
            return rendered
        return self._render_in_dbt_context(node, raw)

    def _render_plain(self, node: Mapping[str, Any], raw: str) -> str | None:
        """With the names above and the model's own macros in one flat namespace."""
        try:
            context = self._context(node)
            macros = self._macros(node, context)
            if macros is None:
                return None
            context.update(macros)
            return str(self.env.from_string(raw).render(context))
        except (_Unrenderable, self._jinja.TemplateError, TypeError, ValueError, KeyError):
            return None

    @property
    def dbt_context_failed(self) -> bool:
        """Whether dbt's compile context could not be built (no adapter): the models it
        would have rendered failed for this machine's reasons, not their own."""
        return self._dbt_context is False

    def _render_in_dbt_context(self, node: Mapping[str, Any], raw: str) -> str | None:
        try:
            sql, ctes = self._render_with_ctes(node, raw, ())
            if ctes:
                from dbt.artifacts.resources.v1.components import InjectedCTE
                from dbt.compilation import inject_ctes_into_sql

                sql = inject_ctes_into_sql(sql, [InjectedCTE(id=i, sql=t) for i, t in ctes])
        except Exception:  # NeedsDbt, a Jinja error, `return()` outside a macro, ...:
            return None  # dbt compiles the model and gives its own error, if any
        if self.columns is not None:
            self.read_catalog.add(str(node.get("unique_id") or ""))
        return sql

    def _render_with_ctes(
        self, node: Mapping[str, Any], raw: str, seen: tuple[str, ...]
    ) -> tuple[str, list[tuple[str, str]]]:
        """The model's SQL before CTE injection, and the (unique_id, CTE) pairs dbt would
        prepend: one per ephemeral model it refs, theirs first (compilation.py's
        _recursively_prepend_ctes)."""
        from floe_ci.integrations.dbt import jinja_dbt_context as dbt_context

        refs: list[Mapping[str, Any]] = []  # the ephemeral models, in the order of ref()

        def ephemeral(target: Mapping[str, Any]) -> Any:
            if target not in refs:
                refs.append(target)
            return answers.facts.relation_class.create_ephemeral_from(_Identified(target))

        if self._dbt_context is None:
            self._dbt_context = self._build_dbt_context()
        if self._dbt_context is False:
            raise dbt_context.NeedsDbt("the adapter could not be loaded")
        index, answers, orders, root, dependencies, target = self._dbt_context
        own = self._context(node)
        names = dbt_context.context_names(node, answers, own["ref"], own["source"], target)
        if self.resolve is not None:
            resolve = self.resolve

            def ref(*args: Any, **kwargs: Any) -> Any:
                target = resolve(node, [str(a) for a in args], dict(kwargs))
                materialized = ((target or {}).get("config") or {}).get("materialized")
                if target is not None and materialized == "ephemeral":
                    return ephemeral(target)
                return answers.relation_named(own["ref"](*args, **kwargs))

            names["ref"] = ref
        names.update(var=own["var"], env_var=own["env_var"], is_incremental=lambda: False)
        package = str(node.get("package_name") or "")
        namespace = dbt_context.NodeNamespace(index, package, root, names)
        dispatch = dbt_context.dispatcher(namespace, answers.facts, orders, root, dependencies)
        namespace["adapter"] = dbt_context.DbtAdapter(answers, dispatch)
        template = index.env.from_string(raw)
        rendered = "".join(template.root_render_func(template.new_context(namespace, shared=True)))
        ctes: list[tuple[str, str]] = []
        for target in refs:
            uid = str(target.get("unique_id"))
            if uid in seen:
                raise dbt_context.NeedsDbt("ephemeral models that ref each other")
            done = self._ephemeral.get(uid)
            if done is None:
                text = target.get("raw_code")
                if not isinstance(text, str):
                    raise dbt_context.NeedsDbt("an ephemeral model without its code")
                done = self._ephemeral[uid] = self._render_with_ctes(target, text, (*seen, uid))
            sql, theirs = done
            for pair in [
                *theirs,
                (uid, f" __dbt__cte__{_Identified(target).identifier} as (\n{sql}\n)"),
            ]:
                if pair[0] not in [i for i, _ in ctes]:
                    ctes.append(pair)
        return rendered, ctes

    def _build_dbt_context(self) -> Any:
        """The parts of dbt's context shared by every model, or False when the adapter
        cannot be loaded (the models then go to dbt)."""
        from floe_ci.integrations.dbt import jinja_dbt_context as dbt_context

        adapter_type = (self.manifest.get("metadata") or {}).get("adapter_type")
        if not isinstance(adapter_type, str):
            return False
        try:
            facts = dbt_context.AdapterFacts(adapter_type)
        except Exception:  # any failure to load the adapter: dbt compiles
            return False
        config = self._project_config
        root = str(config.get("name") or "")
        packages = {str(m.get("package_name")) for m in self.macros.values()}
        nodes = (self.manifest.get("nodes") or {}).values()
        packages |= {str(n.get("package_name")) for n in nodes}
        index = dbt_context.MacroIndex(self.manifest, dbt_context.dbt_environment(), facts)
        answers = dbt_context.CatalogAnswers(self.manifest, self.columns, facts)
        target = dict(self._target_fields()) if self._target_fields is not None else {}
        return index, answers, dbt_context.search_orders(config), root, packages, target

    def _context(self, node: Mapping[str, Any]) -> dict[str, Any]:
        package = str(node.get("package_name") or "")

        def ref(*args: Any, **kwargs: Any) -> str:
            return _required(self._ref(node, [str(a) for a in args], dict(kwargs)))

        def source(source_name: str, table: str) -> str:
            return _required(self._source(str(source_name), str(table)))

        def var(name: str, default: Any = _MISSING) -> Any:
            if self.vars is None:
                raise _Unrenderable("no dbt_project.yml to read vars from")
            scoped = self.vars.get(package)
            if isinstance(scoped, dict) and name in scoped:
                return _plain(scoped[name])
            if name in self.vars:
                return _plain(self.vars[name])
            # then the node's package's own dbt_project.yml, as dbt's ModelConfiguredVar
            own = self._package_vars(package)
            scoped = own.get(package)
            if isinstance(scoped, dict) and name in scoped:
                return _plain(scoped[name])
            if name in own:
                return _plain(own[name])
            if default is _MISSING:
                raise _Unrenderable(f"var {name} is not defined")
            return default

        def env_var(name: str, default: Any = _MISSING) -> Any:
            # dbt's rules: a secret variable only in profiles.yml and packages.yml.
            name = str(name)
            if name.startswith(DBT_SECRET_PREFIX):
                reason = (
                    f"the model reads the secret variable `{name}`, which dbt allows only "
                    "in profiles.yml and packages.yml"
                )
                self.refused[str(node.get("unique_id") or "")] = reason
                raise _Unrenderable(reason)
            if name not in os.environ:
                if default is _MISSING:
                    raise _Unrenderable(f"env var {name} is not set")
                return default
            # Only the variable the model names is read; a secret one renders as its
            # placeholder (the lineage is the same, and no value reaches a cache).
            return placeholder(name) if is_secret_name(name) else os.environ[name]

        return {
            "ref": ref,
            "source": source,
            "config": lambda *args, **kwargs: "",
            "this": _required(node.get("relation_name")),
            "var": var,
            "env_var": env_var,
            "is_incremental": lambda: False,
        }

    def _macros(self, node: Mapping[str, Any], context: dict[str, Any]) -> dict[str, Any] | None:
        """The macros the model calls, by name, defined in one Jinja module."""
        wanted: list[str] = []
        stack = list((node.get("depends_on") or {}).get("macros") or [])
        while stack:
            uid = stack.pop()
            if uid in wanted:
                continue
            macro = self.macros.get(uid)
            if macro is None:
                return None
            if macro.get("package_name") in _NOT_RENDERABLE_PACKAGES:
                if macro.get("name") in context:
                    continue  # e.g. is_incremental: defined above as dbt compile answers it
                return None
            wanted.append(uid)
            stack.extend((macro.get("depends_on") or {}).get("macros") or [])
        if not wanted:
            return {}
        names = [str(self.macros[uid].get("name")) for uid in wanted]
        if len(set(names)) != len(names):
            return None  # two packages define one name: dbt's search order decides
        source = "\n".join(str(self.macros[uid].get("macro_sql") or "") for uid in wanted)
        # Not make_module(): a module exports no name starting with `_`, and packages
        # name their helper macros so (`_is_ephemeral`). The context's vars hold them all.
        template = self.env.from_string(source)
        module_context = template.new_context(context)
        for _ in template.root_render_func(module_context):
            pass
        found = module_context.vars
        if any(name not in found for name in names):
            return None
        return {name: found[name] for name in names}


class _Identified:
    """What create_ephemeral_from reads of a node: its identifier (alias, else name)."""

    def __init__(self, node: Mapping[str, Any]) -> None:
        from floe_ci.integrations.dbt.jinja_dbt_context import identifier_of

        self.identifier = identifier_of(node)


def _required(value: Any) -> str:
    if not isinstance(value, str):
        raise _Unrenderable("unresolvable reference")
    return value


def _plain(value: Any) -> Any:
    """A var's value when dbt would use it as written (no Jinja in it, not a mapping)."""
    if isinstance(value, dict):
        raise _Unrenderable("a var that is a mapping (or a package's vars)")
    if isinstance(value, str) and ("{{" in value or "{%" in value):
        raise _Unrenderable("a var rendered by Jinja")
    return value


def _project_vars(project: DbtProject | None) -> dict[str, Any] | None:
    if project is None:
        return None
    found = project.config.get("vars")
    return dict(found) if isinstance(found, dict) else {}
