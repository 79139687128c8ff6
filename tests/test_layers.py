"""Imports follow the layers of docs/architecture.md, and no module imports itself round a cycle.

Every module under ``src/zhicheng`` is parsed (not imported) with :mod:`ast`; every import counts,
those inside functions included, for the layer rule. The cycle rule looks at the imports that run
when a module is loaded (module level, outside ``if TYPE_CHECKING:``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

#: Floors from the bottom up; a package may import its own floor's shared packages and any floor below.
SHARED = {"errors", "settings", ""}  # "" is the package's own __init__ (the version)
CORES = {"goals", "index", "air", "readers", "numfmt"}
STORE = {"store", "auth"}
SERVICES = {"evaluate", "sensing", "events", "survey", "campaign", "views", "carbon", "archive", "report"}
WORKSPACE = {"workspace"}
ENTRY = {"cli", "api", "cockpit"}
FLOORS = [CORES, STORE, SERVICES, WORKSPACE, ENTRY]
#: The only imports between entry points: the CLI starts the server through the app factory, and
#: the server sends the cockpit's static files.
ENTRY_IMPORTS = {("cli", "api"), ("cli", "api.app"), ("api", "cockpit")}


@dataclass(frozen=True)
class Import:
    """One import statement's target, as written in ``module`` at ``line``."""

    module: str
    target: str
    line: int
    at_load: bool  # runs when the module is loaded (module level, not only for type checking)


def module_name(path: Path, root: Path) -> str:
    """Dotted name of the module at ``path`` under the source folder ``root``."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _walk(body: list[ast.stmt], at_load: bool) -> Iterator[tuple[ast.stmt, bool]]:
    """Every statement with whether it runs at load time (functions and TYPE_CHECKING do not)."""
    for node in body:
        yield node, at_load
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for sub in ast.walk(node):
                if isinstance(sub, ast.stmt) and sub is not node:
                    yield sub, False
        elif isinstance(node, ast.If):
            inner = at_load and not _is_type_checking(node.test)
            yield from _walk(node.body, inner)
            yield from _walk(node.orelse, at_load)
        elif isinstance(node, ast.ClassDef):
            yield from _walk(node.body, at_load)
        elif isinstance(node, (ast.Try, ast.With, ast.For, ast.While)):
            for field in ("body", "orelse", "finalbody", "handlers"):
                for child in getattr(node, field, []):
                    if isinstance(child, ast.ExceptHandler):
                        yield from _walk(child.body, at_load)
                    else:
                        yield from _walk([child], at_load)


def imports(root: Path, package: str) -> tuple[list[Import], set[str]]:
    """Every import of ``package``'s modules into ``package``, and the set of its module names."""
    paths = sorted((root / package).rglob("*.py"))
    modules = {module_name(p, root) for p in paths}
    found: list[Import] = []
    for path in paths:
        name = module_name(path, root)
        is_pkg = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node, at_load in _walk(tree.body, True):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = name.split(".") if is_pkg else name.split(".")[:-1]
                    base = base[: len(base) - node.level + 1]
                    source = ".".join([*base, *([node.module] if node.module else [])])
                else:
                    source = node.module or ""
                # ``from a import b`` loads the module a.b when there is one, else a.
                targets = [f"{source}.{a.name}" if f"{source}.{a.name}" in modules else source
                           for a in node.names]
            for target in targets:
                if target == package or target.startswith(package + "."):
                    found.append(Import(name, target, node.lineno, at_load))
    return found, modules


def floor_of(top: str) -> int | None:
    """Index of the floor of the top-level package ``top`` (None: shared by all, or unknown)."""
    for i, floor in enumerate(FLOORS):
        if top in floor:
            return i
    return None


def layer_violations(root: Path, package: str) -> list[str]:
    """Imports against the layer map, as ``module:line -> target (reason)``."""
    found, _ = imports(root, package)
    bad: list[str] = []
    known = SHARED | set().union(*FLOORS)
    for imp in found:
        here = imp.module.split(".")[1] if "." in imp.module else ""
        there = imp.target.split(".")[1] if "." in imp.target else ""
        where = f"{imp.module}:{imp.line} -> {imp.target}"
        if here not in known:
            bad.append(f"{where} (package {here!r} is on no floor of the layer map)")
            continue
        if there not in known:
            bad.append(f"{where} (package {there!r} is on no floor of the layer map)")
            continue
        if here == there or there in SHARED:
            continue
        if here in SHARED:
            bad.append(f"{where} (a shared module imports only shared ones)")
            continue
        mine, theirs = floor_of(here), floor_of(there)
        assert mine is not None and theirs is not None
        if theirs > mine:
            bad.append(f"{where} (upward: floor {mine} imports floor {theirs})")
        elif theirs == mine and FLOORS[mine] is SERVICES:
            bad.append(f"{where} (services never import each other)")
        elif theirs == mine and FLOORS[mine] is ENTRY and (here, imp.target.partition(".")[2]) not in ENTRY_IMPORTS:
            bad.append(f"{where} (entry points share only the app factory)")
    return bad


def module_cycles(root: Path, package: str) -> list[list[str]]:
    """Cycles of module-level imports (strongly connected components of more than one module)."""
    found, modules = imports(root, package)
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for imp in found:
        if imp.at_load and imp.target in modules and imp.target != imp.module:
            graph[imp.module].add(imp.target)
    return [sorted(c) for c in components(graph) if len(c) > 1]


def components(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of ``graph`` (Tarjan, 1972)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = [stack.pop()]
            while component[-1] != v:
                component.append(stack.pop())
            on_stack.difference_update(component)
            found.append(component)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_every_import_follows_the_layers() -> None:
    assert layer_violations(SRC, "zhicheng") == []


def test_no_module_imports_itself_round_a_cycle() -> None:
    assert module_cycles(SRC, "zhicheng") == []


def test_the_source_tree_is_parsed() -> None:
    found, modules = imports(SRC, "zhicheng")
    assert len(modules) > 100 and len(found) > 500
    assert any(i.module == "zhicheng.workspace.demo" and i.target.startswith("zhicheng.sensing") for i in found)


# --------------------------------------------------------------------------- the test of the test


def _package(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / "pkg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for folder in {p.parent for p in (root / "pkg").rglob("*.py")} | {root / "pkg"}:
        (folder / "__init__.py").touch()
    return root


CLEAN = {
    "errors.py": "class E(Exception): ...\n",
    "goals/model.py": "from pkg.errors import E\n",
    "store/schema.py": "from pkg.goals.model import E\n",
    "evaluate/service.py": "from pkg.store import schema\n",
    "workspace/demo.py": "from pkg.evaluate import service\nfrom pkg.sensing import ingest\n",
    "sensing/ingest.py": "import pkg.store.schema\n",
    "cli/main.py": "def run():\n    from pkg.workspace.demo import x\n    from pkg.api import create_app\n",
    "api/__init__.py": "from pkg.views import q\n",
    "views/q.py": "from pkg.store.schema import t\n",
}


def test_a_clean_fixture_package_passes(tmp_path: Path) -> None:
    root = _package(tmp_path, CLEAN)
    assert layer_violations(root, "pkg") == []
    assert module_cycles(root, "pkg") == []


@pytest.mark.parametrize(("name", "text", "reason"), [
    ("goals/up.py", "from pkg.store import schema\n", "upward"),
    ("store/up.py", "def f():\n    from pkg.evaluate.service import run\n", "upward"),  # inside a function
    ("evaluate/side.py", "import pkg.sensing.ingest\n", "services never import each other"),
    ("views/side.py", "from pkg.evaluate import service\n", "services never import each other"),
    ("evaluate/up.py", "from ..workspace import demo\n", "upward"),  # relative import
    ("cli/deep.py", "from pkg.api.routers import evaluation\n", "entry points share only the app factory"),
    ("errors2/x.py", "from pkg.errors import E\n", "on no floor"),
    ("sensing/t.py", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.cli import main\n", "upward"),
])
def test_an_import_against_the_layers_is_refused(tmp_path: Path, name: str, text: str, reason: str) -> None:
    root = _package(tmp_path, {**CLEAN, name: text})
    found = layer_violations(root, "pkg")
    assert len(found) == 1 and reason in found[0], found


def test_a_module_cycle_is_refused_and_a_function_level_one_is_not(tmp_path: Path) -> None:
    root = _package(tmp_path, {**CLEAN, "air/daily.py": "from pkg.air import epa\n",
                               "air/epa.py": "from pkg.air.daily import grid\n",
                               "air/late.py": "def f():\n    from pkg.air import early\n",
                               "air/early.py": "from pkg.air import late\n"})
    assert module_cycles(root, "pkg") == [["pkg.air.daily", "pkg.air.epa"]]
