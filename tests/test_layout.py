"""The package's shape: no import cycles, and every module on the architecture map."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.helpers import ROOT

PACKAGE = ROOT / "paved"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))
            if "templates" not in path.relative_to(PACKAGE).parts}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The paved modules `name` imports anywhere in its body (lazy and type-only ones too)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.add(submodule if submodule in known else base)
    return {target for target in found if target in known and target != name}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_of_paved_imports_itself_back_through_others() -> None:
    known = modules()
    graph = {name: imports_of(name, path, set(known)) for name, path in known.items()}
    assert cycles(graph) == []


def test_the_core_nouns_never_import_a_room() -> None:
    known = modules()
    core = {name: path for name, path in known.items()
            if name.count(".") == 1 and path.name != "__init__.py" and name != "paved.__main__"}
    rooms = {name for name, path in known.items() if path.name == "__init__.py"} - {"paved"}
    reaching = {name: sorted(target for target in imports_of(name, path, set(known))
                             if any(target == room or target.startswith(f"{room}.")
                                    for room in rooms))
                for name, path in core.items()}
    assert {name: targets for name, targets in reaching.items() if targets} == {}


def test_the_cycle_finder_sees_a_cycle_through_a_lazy_import(tmp_path: Path) -> None:
    graph = {"paved.a": {"paved.b"}, "paved.b": {"paved.c"}, "paved.c": {"paved.a"},
             "paved.d": {"paved.a"}}
    assert cycles(graph) == [["paved.a", "paved.b", "paved.c"]]
    lazy = tmp_path / "b.py"
    lazy.write_text("def f():\n    from paved import a\n")
    assert imports_of("paved.b", lazy, {"paved.a", "paved.b"}) == {"paved.a"}


def test_every_module_is_on_the_architecture_map() -> None:
    architecture = (ROOT / "docs" / "architecture.md").read_text()
    missing = [str(path.relative_to(ROOT)) for path in modules().values()
               if path.name != "__init__.py" and f"`{path.relative_to(ROOT)}`" not in architecture]
    assert missing == []
