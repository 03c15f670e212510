"""Reading Python source by its syntax tree: imports, calls, routes, settings.

Nothing is imported or executed: the repository under check is untrusted.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass

from paved.check.repo import PythonModule

ROUTE_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options",
                           "api_route", "route", "websocket"})
ROUTE_FUNCTIONS = frozenset({"add_api_route", "add_route", "mount", "Route", "Mount"})


@dataclass(frozen=True)
class Setting:
    """A named value: a settings field's default, or an override from the environment."""
    name: str  # lower case: `outbound_max_attempts`
    value: float | bool | str | None
    path: str
    line: int
    source: str  # "default" (code) or "env" (manifests)


def aliases(tree: ast.Module) -> dict[str, str]:
    """Local name -> qualified name for every import (`import httpx as h` gives h -> httpx)."""
    found: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                local = alias.asname or alias.name.split(".")[0]
                found[local] = alias.name if alias.asname else local
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                found[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return found


def qualified_name(node: ast.expr, imported: dict[str, str]) -> str | None:
    """`httpx.AsyncClient` for `h.AsyncClient` after `import httpx as h`; None if unknown."""
    if isinstance(node, ast.Name):
        return imported.get(node.id)
    if isinstance(node, ast.Attribute):
        base = qualified_name(node.value, imported)
        return f"{base}.{node.attr}" if base else None
    return None


def calls(module: PythonModule) -> Iterator[tuple[ast.Call, str]]:
    """Every call whose callee resolves through an import, with its qualified name."""
    imported = aliases(module.tree)
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Call):
            name = qualified_name(node.func, imported)
            if name:
                yield node, name


def keyword(call: ast.Call, name: str) -> ast.expr | None:
    for item in call.keywords:
        if item.arg == name:
            return item.value
    return None


def passes_unknown_keywords(call: ast.Call) -> bool:
    """True when the call forwards `**kwargs`: a timeout may be in there."""
    return any(item.arg is None for item in call.keywords)


def is_none(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def number(node: ast.expr | None) -> float | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) \
            and not isinstance(node.value, bool):
        return float(node.value)
    return None


def routes(modules: tuple[PythonModule, ...]) -> dict[str, tuple[str, int]]:
    """Paths the application serves (`@app.get("/livez")`, `add_api_route`, `mount`…)."""
    found: dict[str, tuple[str, int]] = {}
    for module in modules:
        for node in ast.walk(module.tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else \
                func.id if isinstance(func, ast.Name) else ""
            first = node.args[0]
            if (name in ROUTE_METHODS or name in ROUTE_FUNCTIONS) and \
                    isinstance(first, ast.Constant) and isinstance(first.value, str) \
                    and first.value.startswith("/"):
                found.setdefault(first.value, (module.path, node.lineno))
    return found


def identifiers(module: PythonModule, pattern: str) -> Iterator[int]:
    """Lines where an import, name, attribute, definition or string matches `pattern`."""
    compiled = re.compile(pattern, re.IGNORECASE)
    # Docstrings describe, they do not configure: "no circuit breaker here" is no breaker.
    docstrings = {id(node.value) for node in ast.walk(module.tree)
                  if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)}
    for node in ast.walk(module.tree):
        if id(node) in docstrings:
            continue
        texts: list[str] = []
        if isinstance(node, ast.Import | ast.ImportFrom):
            texts = [alias.name for alias in node.names]
            if isinstance(node, ast.ImportFrom) and node.module:
                texts.append(node.module)
        elif isinstance(node, ast.Name):
            texts = [node.id]
        elif isinstance(node, ast.Attribute):
            texts = [node.attr]
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            texts = [node.name]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            texts = [node.value]
        elif isinstance(node, ast.keyword) and node.arg:
            texts = [node.arg]
        if any(compiled.search(text) for text in texts):
            yield getattr(node, "lineno", 1)


def settings(modules: tuple[PythonModule, ...]) -> list[Setting]:
    """Defaults of settings classes (`class Settings(BaseSettings)`, dataclasses named
    `*Settings`/`*Config`) and upper-case constants of `settings.py`/`config.py`."""
    found: list[Setting] = []
    for module in modules:
        settings_file = module.path.rsplit("/", 1)[-1] in ("settings.py", "config.py")
        for node in ast.walk(module.tree):
            if isinstance(node, ast.ClassDef) and _is_settings_class(node):
                for statement in node.body:
                    setting = _field(statement, module.path)
                    if setting:
                        found.append(setting)
        if settings_file:
            for statement in module.tree.body:
                setting = _field(statement, module.path)
                if setting and _target_name(statement).isupper():
                    found.append(setting)
    return found


def _is_settings_class(node: ast.ClassDef) -> bool:
    bases = {base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "")
             for base in node.bases}
    return "BaseSettings" in bases or node.name.endswith(("Settings", "Config"))


def _target_name(statement: ast.stmt) -> str:
    if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
        return statement.target.id
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1 and \
            isinstance(statement.targets[0], ast.Name):
        return statement.targets[0].id
    return ""


def _field(statement: ast.stmt, path: str) -> Setting | None:
    name = _target_name(statement)
    value = getattr(statement, "value", None)
    if not name or value is None:
        return None
    if isinstance(value, ast.Call) and getattr(value.func, "id", getattr(value.func, "attr", "")) \
            == "Field":
        value = keyword(value, "default") or (value.args[0] if value.args else None)
    if isinstance(value, ast.Constant) and (value.value is None or
                                            isinstance(value.value, int | float | bool | str)):
        return Setting(name.lower(), value.value, path, statement.lineno, "default")
    return None
