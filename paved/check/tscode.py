"""Reading TypeScript and JavaScript by their syntax trees, with the TypeScript compiler.

The same facts as `pycode` (calls resolved through imports, routes, mentions) for
`.ts`, `.mts`, `.cts`, `.tsx`, `.js` and `.mjs` sources, so that the rules reading code
judge a TypeScript service as they judge a Python one (issue 19). The parser is the
TypeScript compiler's own (`ts.createSourceFile`), run through node once per check for
all the files (`paved.delivery.node` installs it, pinned); nothing is type-checked,
imported or executed, and comments are never read.

Settings defaults are read from files named `settings` or `config` (`.ts`, `.js`…): a
property with a literal value (`maxInFlightRequests: 100`) or a string naming a setting
followed by its literal default in a call (`read(env, "outboundMaxAttempts", 3)`);
camelCase names become the rules' snake_case (`outbound_max_attempts`).

How a call's options become `pycode.Call` keywords: the properties of its last
object-literal argument, nested ones dotted (`{connect: {timeout: 500}}` is
`connect.timeout`); any of `TIMEOUT_OPTIONS` also counts as `timeout`, the name the
rules ask for (undici's `headersTimeout`, an `AbortSignal` in `signal`, …).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from paved.check import pycode
from paved.delivery import node
from paved.errors import PavedError

SUFFIXES = (".ts", ".mts", ".cts", ".tsx", ".js", ".mjs", ".cjs")
VERSION = "5.9.3"
TIMEOUT_OPTIONS = ("timeout", "signal", "headersTimeout", "bodyTimeout", "connect.timeout",
                   "connectTimeout")
# Files the compiler produced or that declare types only: not the service's code.
_SKIPPED_SUFFIXES = (".d.ts", ".d.mts", ".d.cts", ".min.js")
_SKIPPED_DIRS = frozenset({"node_modules", "dist", "tests", "test", "testing", "__tests__"})

TOOL = node.NodeTool("typescript-facts", f"typescript@{VERSION}", r"""
import ts from "typescript";
import { readFileSync } from "node:fs";

const ROUTE_METHODS = new Set(["get", "post", "put", "patch", "delete", "head", "options",
                               "all", "route"]);
const GLOBALS = new Set(["fetch"]);
const files = JSON.parse(readFileSync(0, "utf8"));
const out = [];
for (const { path, text } of files) {
  const kind = /\.tsx$/.test(path) ? ts.ScriptKind.TSX
    : /\.[cm]?js$/.test(path) ? ts.ScriptKind.JS : ts.ScriptKind.TS;
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, kind);
  const line = (node) => source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
  const settingsFile = /(^|\/)(settings|config)\.[cm]?[jt]s$/.test(path);
  const constants = new Map();  // const NAME = "text" at the top level: route paths
  const settings = [];
  const imported = new Map();
  const words = [];
  const calls = [];
  const routes = [];
  const bind = (name, value) => imported.set(name, value);
  for (const statement of source.statements) {
    const declarations = ts.isVariableStatement(statement)
      ? statement.declarationList.declarations : [];
    for (const declaration of declarations) {
      if (ts.isIdentifier(declaration.name) && declaration.initializer &&
          ts.isStringLiteralLike(declaration.initializer)) {
        constants.set(declaration.name.text, declaration.initializer.text);
      }
    }
    if (ts.isExportDeclaration(statement)) continue;
    if (!ts.isImportDeclaration(statement)) continue;
    if (!ts.isStringLiteral(statement.moduleSpecifier)) continue;
    const module = statement.moduleSpecifier.text;
    const clause = statement.importClause;
    if (clause?.name) bind(clause.name.text, module);
    const bindings = clause?.namedBindings;
    if (bindings && ts.isNamespaceImport(bindings)) bind(bindings.name.text, module);
    if (bindings && ts.isNamedImports(bindings)) {
      for (const element of bindings.elements) {
        bind(element.name.text, `${module}.${(element.propertyName ?? element.name).text}`);
      }
    }
  }
  const qualified = (expression) => {
    if (ts.isIdentifier(expression)) {
      const global = GLOBALS.has(expression.text) ? expression.text : null;
      return imported.get(expression.text) ?? global;
    }
    if (ts.isPropertyAccessExpression(expression)) {
      const base = qualified(expression.expression);
      return base === null ? null : `${base}.${expression.name.text}`;
    }
    return null;
  };
  const literal = (node) => {
    if (ts.isNumericLiteral(node)) return Number(node.text);
    if (ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.MinusToken &&
        ts.isNumericLiteral(node.operand)) return -Number(node.operand.text);
    if (node.kind === ts.SyntaxKind.TrueKeyword) return true;
    if (node.kind === ts.SyntaxKind.FalseKeyword) return false;
    if (ts.isStringLiteralLike(node)) return node.text;
    return undefined;
  };
  const value = (node) => {
    if (ts.isNumericLiteral(node)) return { number: Number(node.text) };
    if (node.kind === ts.SyntaxKind.NullKeyword ||
        (ts.isIdentifier(node) && node.text === "undefined")) return { is_none: true };
    return {};
  };
  const options = (node, prefix, found) => {
    for (const property of node.properties) {
      if (ts.isSpreadAssignment(property)) { found["**"] = {}; continue; }
      const named = property.name &&
        (ts.isIdentifier(property.name) || ts.isStringLiteral(property.name));
      const name = named ? property.name.text : null;
      if (name === null) continue;
      const key = prefix + name;
      if (ts.isPropertyAssignment(property)) {
        found[key] = value(property.initializer);
        if (ts.isObjectLiteralExpression(property.initializer)) {
          options(property.initializer, `${key}.`, found);
        }
      } else {
        found[key] = {};
      }
    }
    return found;
  };
  const visit = (node) => {
    if (ts.isIdentifier(node) || ts.isStringLiteralLike(node)) words.push([node.text, line(node)]);
    // Settings defaults, in settings/config files: `name: 3` and `read(env, "name", 3, …)`.
    if (settingsFile && ts.isPropertyAssignment(node) && ts.isIdentifier(node.name) &&
        literal(node.initializer) !== undefined && typeof literal(node.initializer) !== "string") {
      settings.push([node.name.text, literal(node.initializer), line(node)]);
    }
    if (settingsFile && ts.isCallExpression(node)) {
      node.arguments.forEach((argument, index) => {
        const next = node.arguments[index + 1];
        if (ts.isStringLiteralLike(argument) && /^[a-z][A-Za-z0-9_]*$/.test(argument.text) &&
            next && literal(next) !== undefined && typeof literal(next) !== "string") {
          settings.push([argument.text, literal(next), line(node)]);
        }
      });
    }
    if (ts.isCallExpression(node) || ts.isNewExpression(node)) {
      const args = node.arguments ?? [];
      const name = qualified(node.expression);
      if (name !== null) {
        const last = args.length > 0 ? args[args.length - 1] : undefined;
        const keywords = last && ts.isObjectLiteralExpression(last) ? options(last, "", {}) : {};
        calls.push({ name, line: line(node), keywords, first: args[0] ? value(args[0]) : null,
                     spread: args.some(ts.isSpreadElement) || "**" in keywords });
      }
      if (ts.isPropertyAccessExpression(node.expression) &&
          ROUTE_METHODS.has(node.expression.name.text) && args[0] &&
          args.length > 1) {
        const first = args[0];
        const route = ts.isStringLiteralLike(first) ? first.text
          : ts.isIdentifier(first) ? constants.get(first.text) : undefined;
        if (route?.startsWith("/")) routes.push([route, line(node)]);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  out.push({ path, calls, routes, words, settings });
}
process.stdout.write(JSON.stringify(out));
""")


def is_source(path: str) -> bool:
    """A TypeScript or JavaScript file outside test directories (tests may call anything)."""
    parts = path.split("/")
    name = parts[-1]
    return name.endswith(SUFFIXES) and not name.endswith(_SKIPPED_SUFFIXES) \
        and not _SKIPPED_DIRS.intersection(parts[:-1]) \
        and ".test." not in name and ".spec." not in name


def extract(texts: Mapping[str, str], *, tools_dir: Path) -> dict[str, pycode.ModuleFacts]:
    """The facts of each file of `texts` (path -> source); raises PavedError when the
    compiler cannot be installed or run (the caller reports those files as not read)."""
    if not texts:
        return {}
    payload = json.dumps([{"path": path, "text": text} for path, text in texts.items()])
    output = node.run(TOOL, [], tools_dir=tools_dir, cwd=tools_dir, stdin=payload)
    try:
        modules = json.loads(output)
    except ValueError as error:
        raise PavedError(f"the TypeScript reader printed no JSON: {error}") from error
    return {module["path"]: _facts(module) for module in modules}


def _argument(value: Mapping[str, Any] | None) -> pycode.Argument | None:
    if value is None:
        return None
    number = value.get("number")
    return pycode.Argument(is_none=bool(value.get("is_none")),
                           number=float(number) if isinstance(number, int | float) else None)


def _facts(module: Mapping[str, Any]) -> pycode.ModuleFacts:
    """One file's facts from the reader's JSON (our runner's output, of a known shape)."""
    calls = []
    for call in _list(module.get("calls")):
        keywords = {str(key): _argument(value) or pycode.Argument()
                    for key, value in dict(call.get("keywords") or {}).items() if key != "**"}
        timeout = next((keywords[key] for key in TIMEOUT_OPTIONS if key in keywords), None)
        if timeout is not None:
            keywords.setdefault("timeout", timeout)
        calls.append(pycode.Call(name=str(call["name"]), line=int(call["line"]),
                                 keywords=keywords, first_arg=_argument(call.get("first")),
                                 forwards_kwargs=bool(call.get("spread"))))
    mentions: dict[str, list[int]] = {}
    for text, line in _list(module.get("words")):
        pycode.mention(mentions, (str(text),), int(line))
    settings = [pycode.Setting(_snake(str(name)), value if isinstance(value, bool | int | float)
                               else None, str(module["path"]), int(line), "default")
                for name, value, line in _list(module.get("settings"))]
    return pycode.ModuleFacts(
        path=str(module["path"]), calls=tuple(calls), settings=tuple(settings),
        routes=tuple((str(route), int(line)) for route, line in _list(module.get("routes"))),
        mentions={name: tuple(lines) for name, lines in mentions.items()})


def _snake(name: str) -> str:
    """`outboundMaxAttempts` as the rules spell settings: `outbound_max_attempts`."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []
