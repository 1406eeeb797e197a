"""The shape of the code: no import cycles among the agent's modules, and every module imports.

The import graph is read from the source (the AST of every ``agent/**/*.py``), so it holds
every import: at the top of a module, inside a function, under ``TYPE_CHECKING``. Importing
``agent.x.y`` from outside the package ``agent.x`` also runs ``agent/x/__init__.py``; that
counts as an import of the package too, so a package whose ``__init__`` re-exports its
modules cannot be imported by a module it depends on.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def agent_modules(root: Path = ROOT) -> dict[str, Path]:
    """Dotted module name -> file, for every module and package of ``agent``."""
    out = {}
    for path in sorted((root / "agent").rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _imported(module: str, path: Path, node: ast.AST) -> list[str]:
    """The dotted names an import statement may bring in (module or module.attribute)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    assert isinstance(node, ast.ImportFrom)
    if node.level:
        base = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        base = base[:len(base) - (node.level - 1)]
        source = ".".join(base + ([node.module] if node.module else []))
    else:
        source = node.module or ""
    return [f"{source}.{a.name}" for a in node.names] + [source]


def import_graph(root: Path = ROOT) -> dict[str, dict[str, int]]:
    """module -> {module it imports: line of the first such import}."""
    modules = agent_modules(root)
    graph: dict[str, dict[str, int]] = defaultdict(dict)

    def owner(name: str) -> str | None:  # the module a dotted name lives in
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            names = _imported(module, path, node)
            # "from pkg import name": a module pkg.name if there is one, else an attribute of pkg
            targets = {owner(n) for n in (names[:-1] if isinstance(node, ast.ImportFrom) else names)}
            for target in targets - {None, module}:
                graph[module].setdefault(target, node.lineno)
                # importing agent.x.y from outside agent.x runs agent/x/__init__.py first
                parts = target.split(".")
                for n in range(2, len(parts)):
                    package = ".".join(parts[:n])
                    if package in modules and not (module + ".").startswith(package + "."):
                        graph[module].setdefault(package, node.lineno)
    return graph


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph.get(nxt, {})))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
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


def describe(component: list[str], graph: dict[str, dict[str, int]], modules: dict[str, Path]) -> str:
    inside = set(component)
    lines = [f"import cycle among {len(component)} modules:"]
    for module in component:
        for target, line in sorted(graph.get(module, {}).items()):
            if target in inside:
                where = modules[module].relative_to(ROOT)
                lines.append(f"  {where}:{line}: {module} imports {target}")
    return "\n".join(lines)


def test_no_module_imports_itself_back():
    graph = import_graph()
    modules = agent_modules()
    found = cycles(graph)
    assert not found, ("the agent's modules must form layers: move what both sides need into a "
                       "module below them both\n\n" + "\n\n".join(describe(c, graph, modules) for c in found))


def test_the_cycle_check_sees_a_cycle(tmp_path):
    """The check itself: a cycle through a function-level import and one through a package's
    ``__init__`` are both found; a package importing its own modules is not a cycle."""
    pkg = tmp_path / "agent"
    (pkg / "stage").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from .b import g\n")
    (pkg / "b.py").write_text("from . import a\n")
    (pkg / "base.py").write_text("from .stage.core import X\n")
    (pkg / "stage" / "__init__.py").write_text("from .core import X\nfrom .more import Y\n")
    (pkg / "stage" / "core.py").write_text("X = 1\n")
    (pkg / "stage" / "more.py").write_text("from ..base import X as Y\n")
    found = cycles(import_graph(tmp_path))
    assert sorted(found) == [["agent.a", "agent.b"], ["agent.base", "agent.stage", "agent.stage.more"]]


def test_every_module_imports():
    """Every module imports (in a child process, so that this one's modules stay as they are).
    With no cycles, a module that imports here imports as well when it is the first one loaded."""
    names = sorted(n for n in agent_modules() if not n.endswith(".__main__"))  # __main__ runs the CLI
    code = (
        "import importlib, sys, traceback\n"
        f"names = {names!r}\n"
        "failed = []\n"
        "for name in names:\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except BaseException:\n"
        "        failed.append(name + ':\\n' + traceback.format_exc(limit=-3))\n"
        "print('\\n'.join(failed))\n"
        "sys.exit(1 if failed else 0)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=280)
    assert done.returncode == 0, f"modules that do not import:\n{done.stdout}{done.stderr[-3000:]}"
    assert len(names) > 100  # the walk found the package
