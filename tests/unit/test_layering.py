"""The layers of floe_ci (docs/architecture.md): no import circles, a core that does no I/O.

The import contracts themselves are `.importlinter`, checked by `lint-imports` in .ci/test and
here; this file adds what import-linter does not see: circles between modules of the same
package, and file, environment or process calls written inline in a core module.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

PACKAGE = REPO_ROOT / "floe_ci"
CORE = ("spec", "governance", "lineage", "plan", "report")
KERNEL = (
    "artifacts.py",
    "code_span.py",
    "dbt_manifest.py",
    "errors.py",
    "fastjson.py",
    "gc_tuning.py",
    "schema_export.py",
)
# Calls that read or write files, the environment or processes.
IO_METHODS = {
    "read_text",
    "read_bytes",
    "write_text",
    "write_bytes",
    "mkdir",
    "unlink",
    "rmdir",
    "iterdir",
    "glob",
    "rglob",
    "stat",
    "exists",
    "is_file",
    "is_dir",
    "touch",
    "getenv",
    "system",
    "popen",
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py") if "templates" not in p.parts}

    def known(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*up, base] if base else up)
                targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
            for target in targets:
                found = known(target) if target.startswith("floe_ci") else None
                if found and found != name:
                    graph[name].add(found)
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_there_are_no_import_circles_in_floe_ci() -> None:
    assert circles(import_graph()) == []


def test_the_circle_finder_finds_a_circle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert circles(graph) == [["a", "b", "c"]]


def core_files() -> list[Path]:
    files = [p for part in CORE for p in (PACKAGE / part).rglob("*.py")]
    return files + [PACKAGE / name for name in KERNEL]


def _main_guard(node: ast.AST) -> bool:
    """`if __name__ == "__main__":` (a module's own command, not the library)."""
    return (
        isinstance(node, ast.If)
        and isinstance(node.test, ast.Compare)
        and isinstance(node.test.left, ast.Name)
        and node.test.left.id == "__name__"
    )


def io_calls(path: Path) -> list[str]:
    found: list[tuple[int, str]] = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    guarded = {id(n) for top in tree.body if _main_guard(top) for n in ast.walk(top)}
    for node in ast.walk(tree):
        if id(node) in guarded:
            continue
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in {"open", "input", "print"}:
                found.append((node.lineno, f"{func.id}()"))
            elif isinstance(func, ast.Attribute) and func.attr in IO_METHODS:
                found.append((node.lineno, f".{func.attr}()"))
        elif isinstance(node, ast.Attribute) and node.attr == "environ":
            found.append((node.lineno, ".environ"))
    return [f"{path.name}:{line} {what}" for line, what in sorted(found)]


def test_the_core_reads_and_writes_no_file_environment_or_process() -> None:
    assert [call for path in core_files() for call in io_calls(path)] == []


def test_the_io_scan_sees_a_file_read(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import os\nx = open('f').read()\ny = path.read_text()\nz = os.environ\n")
    assert io_calls(sample) == [
        "sample.py:2 open()",
        "sample.py:3 .read_text()",
        "sample.py:4 .environ",
    ]


def test_the_import_contracts_hold() -> None:
    lint = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    if not Path(lint).exists():
        pytest.skip("import-linter is not installed (pip install -e '.[dev]')")
    result = subprocess.run(
        [lint, "--no-cache"], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "0 broken" in result.stdout
