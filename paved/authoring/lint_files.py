"""Template checks of `paved template lint`: Jinja, partials and rendered paths.

Two passes. A static pass parses every template (layer files, templated file
names, the Jinja strings of copier.yml, and every partial they reach) for
syntax errors, variables no question defines, and partials that do not exist.
A render pass then renders every golden path's layers with strict undefined over
each declared answer set (defaults when none is declared), as copier would lay
them out, to find runtime errors, paths leaving the destination, paths that
two layers both write, files both `managed:` and `once:`, and `managed:`/`once:`
patterns that match no rendered file.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from paved import paths, render, yaml
from paved.authoring import lint_contract
from paved.authoring.findings import Finding, Severity, finding
from paved.catalog import MANIFEST, Catalog, GoldenPath, Layer
from paved.create import paved_context
from paved.errors import PavedError
from paved.project import RECORD_FILE
from paved.questions import convert, resolve_answers

PAVED_CONTEXT = ("paved_layer", "paved_catalog_version", "paved_golden_path", "paved_layers",
                 "paved_requirement", "paved_contract")
_COPIER_DEFAULT_EXCLUDE = ("copier.yaml", "copier.yml", "~*", "*.py[co]", "__pycache__",
                           ".git", ".DS_Store", ".svn")
_ALWAYS_EXCLUDE = ("copier.yaml", "copier.yml", ".git", MANIFEST)


@dataclass(frozen=True)
class LayerFile:
    layer: str
    display: str  # path relative to the catalog root, for findings
    parts: tuple[str, ...]  # path inside the layer folder, templates' suffix removed
    is_template: bool
    text: str  # contents of a template, else ""
    static_ok: bool  # no static finding: worth rendering


@dataclass(frozen=True)
class _Source:
    """One Jinja source to inspect statically."""

    file: str
    line: int | None  # fixed line (copier.yml entries); None: use the template's own line
    text: str
    owner: str = ""  # question whose own string this is (self-use is not use)
    in_name: bool = False  # a templated file name: no line to point at
    what: str = ""  # prefix for messages, e.g. "question 'x' validator: "


def check_templates(loaded: Catalog, config: Mapping[str, Any], copier_file: str, *,
                    env: Any = None) -> list[Finding]:
    """The static pass, then (for a catalog with a manifest) the strict render pass.

    A plain copier template (`loaded.plain`) is parsed with copier's own environment
    (`env`: its `_envops` and extensions); copier renders a variable nothing defines as
    empty, so reading one is a warning, and not reported at all when the template
    loads extensions (a `ContextHook` may define anything). Its renders are copier's
    (`paved.authoring.lint.check_plain_renders`), not strict ones here.
    """
    env = env if env is not None else render.strict_environment(loaded.root)
    defined = ({q.name for q in loaded.questions} | set(PAVED_CONTEXT)
               | set(render.COPIER_CONTEXT))
    found: list[Finding] = []
    used: set[str] = set()
    sources = list(_copier_sources(config, copier_file))
    files: list[LayerFile] = []
    for layer in loaded.layers.values():
        for file, source_findings, layer_sources in _layer_files(loaded, layer, config, env):
            found += source_findings
            sources += layer_sources
            files.append(file)
    # The language layers' contract partials are imported by a computed name
    # (`paved_contract`): inspected here since no constant include reaches them.
    contract_partials = {layer.contract for layer in loaded.layers.values()
                         if layer.contract and (loaded.root / layer.contract).is_file()}
    sources += [_Source(partial, None, (loaded.root / partial).read_text("utf-8"))
                for partial in sorted(contract_partials)]
    seen_partials: set[str] = set(contract_partials)
    uses: dict[str, set[str]] = {}  # file -> partials it names
    while sources:
        source = sources.pop(0)
        source_findings, partials, names = _inspect(env, source, defined, loaded.root)
        found += source_findings
        used |= names - {source.owner}
        uses.setdefault(source.file, set()).update(partials)
        for partial in partials - seen_partials:
            seen_partials.add(partial)
            sources.append(_Source(partial, None, (loaded.root / partial).read_text("utf-8")))
    bad_files = _spoiled({item.file for item in found}, uses)
    files = [replace(file, static_ok=file.display not in bad_files) for file in files]
    if loaded.plain:
        hooked = bool(config.get("_jinja_extensions"))
        return [replace(item, rule="unknown-variable", severity=Severity.WARNING,
                        message=item.message.replace("nor a variable paved or copier provides",
                                                     "nor a variable copier or paved provides; "
                                                     "copier renders it empty"))
                if item.rule == "undefined-variable" else item for item in found
                if not (hooked and item.rule == "undefined-variable")]
    for question in loaded.questions:
        if question.name not in used:
            found.append(finding(copier_file, yaml.line_of(config, question.name),
                                 "unused-question", f"question {question.name!r} is never "
                                 "used by a template, a file name or another question"))
    for golden_path in loaded.golden_paths.values():
        found += _render_golden_path(loaded, golden_path, files, env)
    found += lint_contract.check_contract(loaded, files, env, {
        golden_path.name: _first_values(loaded, golden_path)
        for golden_path in loaded.golden_paths.values()})
    return found


def _spoiled(bad: set[str], uses: Mapping[str, set[str]]) -> set[str]:
    """`bad` plus every file that reaches a bad partial: their render errors are echoes."""
    spoiled = set(bad)
    changed = True
    while changed:
        changed = False
        for file, partials in uses.items():
            if file not in spoiled and partials & spoiled:
                spoiled.add(file)
                changed = True
    return spoiled


def _copier_sources(config: Mapping[str, Any], file: str) -> Iterator[_Source]:
    for name, spec in config.items():
        line = yaml.line_of(config, name)
        if str(name).startswith("_"):
            values = spec if isinstance(spec, list) else [spec]
            for value in values:
                if isinstance(value, str):
                    yield _Source(file, line, value, what=f"{name}: ")
            continue
        if not isinstance(spec, Mapping):
            continue
        for key in ("default", "validator", "when", "placeholder"):
            value = spec.get(key)
            if isinstance(value, str):
                yield _Source(file, line, value, owner=str(name),
                              what=f"question {name!r} {key}: ")


def _inspect(env: Any, source: _Source, defined: set[str],
             root: Path) -> tuple[list[Finding], set[str], set[str]]:
    facts = render.inspect_template(env, source.text, filename=source.file)
    if source.in_name:
        facts = replace(facts, variables=dict.fromkeys(facts.variables, 0),
                        partials=tuple((name, 0) for name, _ in facts.partials),
                        syntax_error=facts.syntax_error and (0, facts.syntax_error[1]))
    found = []
    if facts.syntax_error:
        line, message = facts.syntax_error
        found.append(finding(source.file, source.line or line or None, "jinja-syntax",
                             f"{source.what}{message}"))
    for name, line in facts.variables.items():
        if name not in defined:
            found.append(finding(source.file, source.line or line or None, "undefined-variable",
                                 f"{source.what}{name!r} is not a question of the catalog "
                                 "nor a variable paved or copier provides"))
    partials = set()
    for name, line in facts.partials:
        target = (root / name).resolve()
        if target.is_relative_to(root) and target.is_file():
            partials.add(target.relative_to(root).as_posix())
        else:
            found.append(finding(source.file, source.line or line or None, "unresolved-partial",
                                 f"{source.what}partial {name!r} does not exist in the "
                                 "catalog (paths are relative to the catalog root)"))
    return found, partials, set(facts.variables)


def layer_folder(loaded: Catalog, layer: Layer, config: Mapping[str, Any]) -> str:
    """The folder copier renders for `layer`: its path, or a plain template's _subdirectory."""
    if layer.path:
        return layer.path
    subdirectory = config.get("_subdirectory", "")
    return subdirectory if isinstance(subdirectory, str) and "{" not in subdirectory else ""


def _exclusions(folder: str, config: Mapping[str, Any]) -> list[str]:
    patterns = config.get("_exclude")
    if not isinstance(patterns, list):
        patterns = list(_COPIER_DEFAULT_EXCLUDE) if not folder else []
    return [str(item) for item in patterns] + (list(_ALWAYS_EXCLUDE) if not folder else [])


def _layer_files(loaded: Catalog, layer: Layer, config: Mapping[str, Any],
                 env: Any) -> Iterator[tuple[LayerFile, list[Finding], list[_Source]]]:
    folder = layer_folder(loaded, layer, config)
    base = loaded.root / folder
    excluded = render.exclusion_matcher(_exclusions(folder, config))
    suffix = str(config.get("_templates_suffix", ".jinja"))
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath, name)
            relative = path.relative_to(base).as_posix()
            if excluded(relative):
                continue
            display = path.relative_to(loaded.root).as_posix()
            found: list[Finding] = []
            sources = [_Source(display, None, part, what=f"file name {relative!r}: ",
                               in_name=True)
                       for part in relative.split("/") if "{" in part]
            if path.is_symlink() and not path.resolve().is_relative_to(loaded.root):
                found.append(finding(display, None, "path-escape", "links to "
                                     f"{os.readlink(path)}, outside the catalog"))
            is_template = bool(suffix) and name.endswith(suffix)
            parts = relative.split("/")
            if is_template:
                parts[-1] = name.removesuffix(suffix)
            text = ""
            if is_template and not found:
                try:
                    text = path.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError):
                    text = ""
                sources.append(_Source(display, None, text))
            yield (LayerFile(layer.name, display, tuple(parts), is_template,
                             text, True), found, sources)


#: In an answer set of a `test_matrix`, the optional layers to render too (never a
#: question: `with` is a Jinja keyword, so no template could use such an answer).
WITH = "with"
#: The answer set added when no declared one renders an optional layer.
OPTIONAL_LAYERS_SET = "optional-layers"


def sample_answer_sets(golden_path: GoldenPath) -> dict[str, Mapping[str, Any]]:
    """The answer sets a golden path declares; just the defaults when it declares none."""
    return {name: given for name, (_, given) in answer_sets(golden_path).items()}


def answer_sets(golden_path: GoldenPath) -> dict[str, tuple[GoldenPath, Mapping[str, Any]]]:
    """Each answer set with the golden path it renders: with the optional layers its `with:`
    names (those the golden path offers). Every optional layer is rendered by some set:
    when the declared ones leave any out, a set `optional-layers` renders those with the
    defaults."""
    sets: dict[str, tuple[GoldenPath, Mapping[str, Any]]] = {}
    for name, declared in (dict(golden_path.test_matrix) or {"defaults": {}}).items():
        given = dict(declared or {})
        chosen = given.pop(WITH, None) or []
        layers = [layer for layer in chosen if layer in golden_path.optional_layers] \
            if isinstance(chosen, list) else []
        sets[name] = (golden_path.with_layers(layers), given)
    covered = {layer for path, _ in sets.values() for layer in path.layers}
    left = [layer for layer in golden_path.optional_layers if layer not in covered]
    if left and OPTIONAL_LAYERS_SET not in sets:
        sets[OPTIONAL_LAYERS_SET] = (golden_path.with_layers(left), {})
    return sets


def _first_values(loaded: Catalog, golden_path: GoldenPath) -> dict[str, Any] | None:
    """Every value of the golden path's first answer set; None when it is invalid."""
    try:
        return all_values(loaded, golden_path, next(iter(sample_answer_sets(golden_path)
                                                         .values())))
    except PavedError:
        return None


def all_values(loaded: Catalog, golden_path: GoldenPath,
               given: Mapping[str, Any]) -> dict[str, Any]:
    """Answers plus the values of questions that are not asked (`when: false`)."""
    context = paved_context(loaded, golden_path)
    answers = resolve_answers(loaded.questions, given, catalog_root=loaded.root,
                              context=context)
    env = render.environment(loaded.root)
    values = {**context}
    for question in loaded.questions:
        if question.name in answers:
            values[question.name] = answers[question.name]
        elif question.default is not None:
            default = question.default
            if isinstance(default, str) and "{" in default:
                default = render.render_string(env, default, values)
            values[question.name] = convert(question, default)
    return values


def _render_golden_path(loaded: Catalog, golden_path: GoldenPath, files: list[LayerFile],
                        env: Any) -> Iterator[Finding]:
    reported: set[tuple[str, int | None, str, str]] = set()
    rendered: dict[str, str] = {}  # every path any answer set renders
    try:
        all_values(loaded, golden_path, {})
    except PavedError:
        return  # a bad default: reported as question-default, and no answer set can render
    for set_name, (path_of_set, given) in answer_sets(golden_path).items():
        try:
            values = all_values(loaded, path_of_set, given)
        except PavedError as error:
            if given:
                yield finding(MANIFEST, _matrix_line(loaded.root, golden_path.name, set_name),
                              "test-matrix", f"golden path {golden_path.name!r}, answer set "
                              f"{set_name!r}: {error}")
            continue
        owners: dict[str, str] = {RECORD_FILE: "paved's record"}
        where = f" (golden path {golden_path.name}, answers {set_name!r})"
        for layer in loaded.layers_of(path_of_set):
            context = {**values, "paved_layer": layer.path}
            for file in (item for item in files if item.layer == layer.name):
                for item in _render_file(file, context, env, owners):
                    key = (item.file, item.line, item.rule, item.message)
                    if key not in reported:  # once, with the first answer set showing it
                        reported.add(key)
                        yield finding(item.file, item.line, item.rule, item.message + where)
        rendered.update(owners)
        for item in _overlaps(loaded, path_of_set, sorted(set(owners) - {RECORD_FILE})):
            key = (item.file, item.line, item.rule, item.message)
            if key not in reported:
                reported.add(key)
                yield finding(item.file, item.line, item.rule, item.message + where)
    yield from _unmatched(loaded, golden_path.with_layers(golden_path.optional_layers),
                          sorted(set(rendered) - {RECORD_FILE}))


def _policies(loaded: Catalog, golden_path: GoldenPath) -> list[tuple[Layer, str, str]]:
    """(layer, "managed" | "once", pattern) for every path pattern of the golden path."""
    return [(layer, key, pattern) for layer in loaded.layers_of(golden_path)
            for key in ("managed", "once") for pattern in getattr(layer, key)
            if not pattern.startswith("!")]


def _overlaps(loaded: Catalog, golden_path: GoldenPath, rendered: list[str]) -> Iterator[Finding]:
    """A file both `managed:` and `once:`: team edits fail `paved status --check`, yet
    updates leave it alone (as `src/*/settings.py` did to platform/settings.py with fnmatch)."""
    policies = _policies(loaded, golden_path)
    managed = [item for item in policies if item[1] == "managed"]
    once = [item for item in policies if item[1] == "once"]
    seen: set[tuple[str, str]] = set()
    for path in rendered:
        for m_layer, _, m_pattern in managed:
            if not paths.matches((m_pattern,), path):
                continue
            for o_layer, _, o_pattern in once:
                if (m_pattern, o_pattern) in seen or not paths.matches((o_pattern,), path):
                    continue
                seen.add((m_pattern, o_pattern))
                yield finding(MANIFEST, _policy_line(loaded.root, o_layer.name, "once"),
                              "pattern-overlap",
                              f"{path!r} is both managed (layer {m_layer.name!r}: "
                              f"{m_pattern!r}) and created once (layer {o_layer.name!r}: "
                              f"{o_pattern!r}); a file is one or the other")


def _unmatched(loaded: Catalog, golden_path: GoldenPath, rendered: list[str]) -> Iterator[Finding]:
    """A pattern that matches no file the golden path renders: likely a typo or a stale path."""
    for layer, key, pattern in _policies(loaded, golden_path):
        if not any(paths.matches((pattern,), path) for path in rendered):
            yield finding(MANIFEST, _policy_line(loaded.root, layer.name, key),
                          "unmatched-pattern", f"layer {layer.name!r}: {key} pattern "
                          f"{pattern!r} matches no file golden path {golden_path.name!r} "
                          "renders")


def _policy_line(root: Path, layer: str, key: str) -> int | None:
    try:
        spec = yaml.load_document(root / MANIFEST)["layers"][layer]
    except (PavedError, KeyError, TypeError):
        return None
    return yaml.line_of(spec, key)


def _matrix_line(root: Path, golden_path: str, set_name: str) -> int | None:
    try:
        matrix = yaml.load_document(root / MANIFEST)["golden_paths"][golden_path]["test_matrix"]
    except (PavedError, KeyError, TypeError):
        return None
    return yaml.line_of(matrix, set_name)


def _render_file(file: LayerFile, context: Mapping[str, Any], env: Any,
                 owners: dict[str, str]) -> Iterator[Finding]:
    rendered = []
    for part in file.parts:
        result = render.render_strict(env, part, context, filename=file.display)
        if result.text is None:
            if file.static_ok:
                yield finding(file.display, None, "render-error",
                              f"file name {part!r}: {result.error}")
            return
        if not result.text:
            return  # copier skips a path with an empty part
        rendered.append(result.text)
    target = posixpath.normpath("/".join(rendered))
    if target.startswith(("../", "/")) or target == "..":
        yield finding(file.display, None, "path-escape",
                      f"renders to {target!r}, outside the destination")
        return
    if target in owners and owners[target] != file.layer:
        yield finding(file.display, None, "path-collision",
                      f"renders {target!r}, which {_owner(owners[target])} also writes")
    owners.setdefault(target, file.layer)
    if file.is_template and file.static_ok:
        result = render.render_strict(env, file.text, context, filename=file.display)
        if result.text is None:
            yield finding(file.display, result.line, "render-error", result.error)


def _owner(name: str) -> str:
    return name if name == "paved's record" else f"layer {name!r}"
