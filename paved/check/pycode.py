"""Reading Python source by its syntax tree: imports, calls, routes, settings, mentions.

Nothing is imported or executed: the repository under check is untrusted.

Each module is parsed once and reduced in one pass to `ModuleFacts`, a small
value holding all that the built-in rules look at: the calls of interest (with
their literal arguments summarised), routes, settings defaults and the lines
where each `MENTIONS` pattern matches. Facts travel between processes and
stay in memory where syntax trees would not (issue 24: 100,000 modules).

`WORDS` is the prefilter: a module in which none of these words appears
(case-blind) yields no facts, so it is never parsed. Each word is a substring
that any match of what it stands for must contain; tests/check/test_scale.py
holds one example per rule input.
"""

from __future__ import annotations

import ast
import re
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

ROUTE_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options",
                           "api_route", "route", "websocket"})
ROUTE_FUNCTIONS = frozenset({"add_api_route", "add_route", "mount", "Route", "Mount"})
#: Calls worth keeping: outbound HTTP clients, web frameworks and retry libraries. The
#: rules' own sets (isolation.NEEDS_TIMEOUT, WEB_APPS) are subsets of these.
CALL_MODULES = ("requests", "httpx", "aiohttp", "urllib", "urllib3", "fastapi", "starlette",
                "flask", "quart", "litestar", "tenacity", "backoff")
CALL_SUFFIXES = (".Retry", "HTTPTransport", "HTTPAdapter")

#: What the rules look for by name anywhere in the code (`identifiers`), by pattern name.
MENTIONS: Mapping[str, str] = {
    "breaker": r"breaker|pybreaker|circuitbreaker|aiobreaker|purgatory",
    # "shed" alone would match "finished".
    "shedding": r"load_?shed|(^|_)shed|shedding|shedder|concurrency_?limit|max_?in_?flight|"
                r"max_?concurren",
    "budget": r"retry_?budget|RetryBudget",
    "tracing": r"TracerProvider|set_tracer_provider|Instrumentor$|configure_opentelemetry|"
               r"configure_azure_monitor|^opentelemetry\.instrumentation|"
               r"^@opentelemetry/sdk-node$",
    "json-logs": r"structlog|JSONRenderer|jsonlogger|Json_?Formatter|ecs_logging|loguru|"
                 r"^pino$|^winston$",
    "trace-ids": r"trace_id|traceid|otelTraceID|LoggingInstrumentor",
    "metrics": r"make_asgi_app|make_wsgi_app|start_http_server|prometheus_fastapi_instrumentator|"
               r"PrometheusMetricReader|^prom-client$",
    "logging": r"^logging$|basicConfig|getLogger",
}
#: The prefilter, by kind of fact: words (case-blind) that a module must contain to hold it.
NEEDS: Mapping[str, tuple[str, ...]] = {
    # A call resolves through an import, which names its module (or the Retry/Transport/
    # Adapter class), so the module's name is in the text.
    "calls": (*CALL_MODULES, "retry", "httptransport", "httpadapter"),
    # A route's first argument is a string constant starting with "/".
    "routes": ('"/', "'/"),
    # Classes deriving from BaseSettings or named *Settings/*Config; settings.py/config.py
    # are always read.
    "settings": ("settings", "config"),
    "mention:breaker": ("breaker", "purgatory"),
    "mention:shedding": ("shed", "concurren", "flight"),
    "mention:budget": ("budget",),
    "mention:tracing": ("tracerprovider", "tracer_provider", "instrumentor", "opentelemetry",
                        "azure_monitor"),
    "mention:json-logs": ("structlog", "jsonrenderer", "jsonlogger", "formatter", "ecs_logging",
                          "loguru", "pino", "winston"),
    "mention:trace-ids": ("trace_id", "traceid", "instrumentor"),
    "mention:metrics": ("make_asgi_app", "make_wsgi_app", "start_http_server", "prometheus",
                        "prom-client"),
    "mention:logging": ("logging", "basicconfig", "getlogger"),
}
WORDS: tuple[str, ...] = tuple(dict.fromkeys(word for words in NEEDS.values() for word in words))
SETTINGS_FILES = ("settings.py", "config.py")


@dataclass(frozen=True)
class Setting:
    """A named value: a settings field's default, or an override from the environment."""
    name: str  # lower case: `outbound_max_attempts`
    value: float | bool | str | None
    path: str
    line: int
    source: str  # "default" (code) or "env" (manifests)


@dataclass(frozen=True)
class Argument:
    """An argument as written, summarised: `None`, a number, or anything else."""
    is_none: bool = False
    number: float | None = None


@dataclass(frozen=True)
class Call:
    """A call whose callee resolves through an import (`httpx.get(…)` after `import httpx`)."""
    name: str  # qualified: `httpx.AsyncClient` for `h.AsyncClient` after `import httpx as h`
    line: int
    keywords: Mapping[str, Argument] = field(default_factory=dict)
    first_arg: Argument | None = None
    forwards_kwargs: bool = False  # `**kwargs`: a timeout may be in there

    def keyword(self, name: str) -> Argument | None:
        return self.keywords.get(name)


@dataclass(frozen=True)
class ModuleFacts:
    """All that the built-in rules read from one module, in the order of `ast.walk`."""
    path: str
    calls: tuple[Call, ...] = ()
    routes: tuple[tuple[str, int], ...] = ()
    settings: tuple[Setting, ...] = ()
    mentions: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    bare_retries: tuple[int, ...] = ()  # lines of `@retry` (tenacity) without arguments


def needs_of(text: str) -> frozenset[str]:
    """The kinds of fact a module with this text may hold (by `NEEDS`)."""
    lowered = text.lower()
    return frozenset(need for need, words in NEEDS.items()
                     if any(word in lowered for word in words))


def aliases(tree: ast.Module) -> dict[str, str]:
    """Local name -> qualified name for every import (`import httpx as h` gives h -> httpx)."""
    found: dict[str, str] = {}
    for node in ast.walk(tree):
        _add_aliases(node, found)
    return found


def _add_aliases(node: ast.AST, found: dict[str, str]) -> None:
    if isinstance(node, ast.Import):
        for alias in node.names:
            local = alias.asname or alias.name.split(".")[0]
            found[local] = alias.name if alias.asname else local
    elif isinstance(node, ast.ImportFrom) and node.module:
        for alias in node.names:
            found[alias.asname or alias.name] = f"{node.module}.{alias.name}"


def qualified_name(node: ast.expr, imported: dict[str, str]) -> str | None:
    """`httpx.AsyncClient` for `h.AsyncClient` after `import httpx as h`; None if unknown."""
    if isinstance(node, ast.Name):
        return imported.get(node.id)
    if isinstance(node, ast.Attribute):
        base = qualified_name(node.value, imported)
        return f"{base}.{node.attr}" if base else None
    return None


def interesting(name: str) -> bool:
    """Whether a call of `name` is kept in `ModuleFacts.calls`."""
    return name.split(".", 1)[0] in CALL_MODULES or name.endswith(CALL_SUFFIXES)


def argument(node: ast.expr | None) -> Argument | None:
    if node is None:
        return None
    if isinstance(node, ast.Constant) and node.value is None:
        return Argument(is_none=True)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) \
            and not isinstance(node.value, bool):
        return Argument(number=float(node.value))
    return Argument()


def extract(tree: ast.Module, path: str, needs: frozenset[str] | None = None) -> ModuleFacts:
    """The facts of one module, in one pass over its syntax tree (in `ast.walk`'s order).

    `needs` (from `needs_of` on the module's text) skips the work for kinds of fact the
    text shows it cannot hold: a pattern cannot match where none of its words appear."""
    wanted = frozenset(NEEDS) if needs is None else needs
    names = any(need.startswith("mention:") for need in wanted)
    imported: dict[str, str] = {}
    call_nodes: list[ast.Call] = []
    functions: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
    classes: list[ast.ClassDef] = []
    mentions: dict[str, list[int]] = {}
    # Docstrings describe, they do not configure: "no circuit breaker here" is no breaker.
    docstrings: set[int] = set()
    todo: deque[ast.AST] = deque([tree])
    while todo:
        node = todo.popleft()
        kind = type(node)
        fields = _CHILDREN.get(kind)
        if fields is None:
            fields = _CHILDREN[kind] = tuple(name for name in kind._fields
                                             if name not in _LEAF_FIELDS)
        for attribute in fields:  # ast.walk's order, without its generators
            value = getattr(node, attribute, None)
            if isinstance(value, ast.AST):
                todo.append(value)
            elif isinstance(value, list):
                todo.extend(item for item in value if isinstance(item, ast.AST))
        if isinstance(node, ast.Name):
            if names:
                _mention(mentions, (node.id,), node.lineno)
        elif isinstance(node, ast.Attribute):
            if names:
                _mention(mentions, (node.attr,), node.lineno)
        elif isinstance(node, ast.Constant):
            if names and isinstance(node.value, str) and id(node) not in docstrings:
                _mention(mentions, (node.value,), node.lineno)
        elif isinstance(node, ast.Call):
            call_nodes.append(node)
        elif isinstance(node, ast.Expr):
            if isinstance(node.value, ast.Constant):
                docstrings.add(id(node.value))
        elif isinstance(node, ast.keyword):
            if names and node.arg:
                _mention(mentions, (node.arg,), getattr(node, "lineno", 1))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if names:
                _mention(mentions, (node.name,), node.lineno)
            functions.append(node)
        elif isinstance(node, ast.ClassDef):
            if names:
                _mention(mentions, (node.name,), node.lineno)
            classes.append(node)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            _add_aliases(node, imported)
            if names:
                _mention(mentions, _import_texts(node), node.lineno)
    calls, routes = [], []
    with_calls, with_routes = "calls" in wanted, "routes" in wanted
    for call in call_nodes:
        if with_calls:
            qualified = qualified_name(call.func, imported)
            if qualified and interesting(qualified):
                calls.append(_call(call, qualified))
        if with_routes:
            route = _route(call)
            if route:
                routes.append((route, call.lineno))
    bare = [decorator.lineno for function in functions for decorator in function.decorator_list
            if not isinstance(decorator, ast.Call)
            and qualified_name(decorator, imported) == "tenacity.retry"] if with_calls else []
    settings = _settings(tree, classes, path) \
        if "settings" in wanted or path.rsplit("/", 1)[-1] in SETTINGS_FILES else []
    return ModuleFacts(path=path, calls=tuple(calls), routes=tuple(routes),
                       settings=tuple(settings),
                       mentions={name: tuple(lines) for name, lines in mentions.items()},
                       bare_retries=tuple(bare))


# Fields holding only childless singletons (Load, Add, Eq…) or no nodes at all: leaving
# them out of the walk changes no other node's place in ast.walk's order.
_LEAF_FIELDS = frozenset({"ctx", "op", "ops"})
_CHILDREN: dict[type[ast.AST], tuple[str, ...]] = {ast.Name: (), ast.Constant: ()}
_PATTERNS = tuple((name, re.compile(pattern, re.IGNORECASE)) for name, pattern in MENTIONS.items())
_ANY_PATTERN = re.compile("|".join(f"(?:{pattern})" for pattern in MENTIONS.values()),
                          re.IGNORECASE)
_MATCHED: dict[str, tuple[str, ...]] = {}  # text -> names of the patterns it matches
_MATCHED_MAX = 200_000


def _matches(text: str) -> tuple[str, ...]:
    found = _MATCHED.get(text)
    if found is None:
        found = tuple(name for name, compiled in _PATTERNS if compiled.search(text)) \
            if _ANY_PATTERN.search(text) else ()
        if len(_MATCHED) < _MATCHED_MAX and len(text) < 200:
            _MATCHED[text] = found
    return found


def mention(mentions: dict[str, list[int]], texts: tuple[str, ...], line: int) -> None:
    """Add `line` to `mentions` under each `MENTIONS` pattern one of `texts` matches."""
    _mention(mentions, texts, line)


def _mention(mentions: dict[str, list[int]], texts: tuple[str, ...], line: int) -> None:
    names = _matches(texts[0]) if len(texts) == 1 else \
        tuple(dict.fromkeys(name for text in texts for name in _matches(text)))
    for name in names:
        mentions.setdefault(name, []).append(line)


def _import_texts(node: ast.Import | ast.ImportFrom) -> tuple[str, ...]:
    texts = [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.module:
        texts.append(node.module)
    return tuple(texts)


def _call(node: ast.Call, name: str) -> Call:
    keywords = {item.arg: argument(item.value) or Argument() for item in node.keywords
                if item.arg is not None}
    return Call(name=name, line=node.lineno, keywords=keywords,
                first_arg=argument(node.args[0]) if node.args else None,
                forwards_kwargs=any(item.arg is None for item in node.keywords))


def _route(node: ast.Call) -> str | None:
    """The path of `@app.get("/livez")`, `add_api_route("/x", …)`, `Mount("/x", …)`…"""
    if not node.args:
        return None
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else \
        func.id if isinstance(func, ast.Name) else ""
    first = node.args[0]
    if (name in ROUTE_METHODS or name in ROUTE_FUNCTIONS) and \
            isinstance(first, ast.Constant) and isinstance(first.value, str) \
            and first.value.startswith("/"):
        return first.value
    return None


def routes(modules: Iterator[ModuleFacts] | tuple[ModuleFacts, ...]) -> dict[str, tuple[str, int]]:
    """Paths the application serves, each with where it is first declared."""
    found: dict[str, tuple[str, int]] = {}
    for module in modules:
        for route, line in module.routes:
            found.setdefault(route, (module.path, line))
    return found


def _settings(tree: ast.Module, classes: list[ast.ClassDef], path: str) -> list[Setting]:
    """Defaults of settings classes (`class Settings(BaseSettings)`, dataclasses named
    `*Settings`/`*Config`) and upper-case constants of `settings.py`/`config.py`."""
    found: list[Setting] = []
    for node in classes:
        if _is_settings_class(node):
            for statement in node.body:
                setting = _field(statement, path)
                if setting:
                    found.append(setting)
    if path.rsplit("/", 1)[-1] in SETTINGS_FILES:
        for statement in tree.body:
            setting = _field(statement, path)
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
        value = _keyword(value, "default") or (value.args[0] if value.args else None)
    value = _signed(value)
    if isinstance(value, ast.Constant) and (value.value is None or
                                            isinstance(value.value, int | float | bool | str)):
        return Setting(name.lower(), value.value, path, statement.lineno, "default")
    return None


def _signed(value: ast.expr | None) -> ast.expr | None:
    """`-1` as the constant it is (a unary minus over a number): a negative default is a
    setting too, and often the one that means "unlimited"."""
    if isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.USub | ast.UAdd) \
            and isinstance(value.operand, ast.Constant) \
            and isinstance(value.operand.value, int | float) \
            and not isinstance(value.operand.value, bool):
        number = value.operand.value
        return ast.Constant(-number if isinstance(value.op, ast.USub) else number)
    return value


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    for item in call.keywords:
        if item.arg == name:
            return item.value
    return None
