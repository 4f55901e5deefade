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
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

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
    ) -> None:
        import jinja2
        import jinja2.ext
        import jinja2.sandbox

        self._jinja = jinja2
        self.manifest = manifest
        self.macros: Mapping[str, Any] = manifest.get("macros") or {}
        self._ref, self._source = ref, source
        self.vars = _project_vars(project)
        # unique_id -> why the model may not be rendered (as dbt would refuse it)
        self.refused: dict[str, str] = {}
        self.env = jinja2.sandbox.SandboxedEnvironment(
            extensions=[jinja2.ext.do, jinja2.ext.loopcontrols],
            undefined=jinja2.StrictUndefined,
        )

    def render(self, node: Mapping[str, Any]) -> str | None:
        """The model's compiled SQL, or None when it uses something only dbt can render."""
        raw = node.get("raw_code")
        if not isinstance(raw, str):
            return None
        jinja = self._jinja
        try:
            context = self._context(node)
            macros = self._macros(node, context)
            if macros is None:
                return None
            context.update(macros)
            return str(self.env.from_string(raw).render(context))
        except (_Unrenderable, jinja.TemplateError, TypeError, ValueError, KeyError):
            return None

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
