"""Linting a catalog: its manifest, its questions and its templates, as findings.

`lint_catalog` reads the catalog's working tree (not a tag) and never raises for
what it finds: every problem becomes a `Finding` with a file, line, rule id,
message and severity. The template checks (Jinja syntax, undefined variables,
partials, rendered paths) are in `paved.authoring.lint_files`; this module checks the
manifest and `copier.yml` and puts the result together.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from paved import catalog as catalog_module
from paved import origin, paths, render, yaml
from paved.authoring import lint_files
from paved.authoring.findings import RULES, Finding, Severity, finding
from paved.create import paved_context, render_golden_path
from paved.errors import CatalogError, InputError, PavedError, one_line
from paved.questions import TYPES, Question, check, convert, resolve_answers

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_QUESTION_KEYS = {"type", "help", "default", "choices", "validator", "when", "secret",
                  "multiselect", "placeholder", "qmark"}
_MANIFEST_KEYS = {"name", "description", "version", "golden_paths", "layers", "url",
                  "paved_requirement", "contract"}
_GOLDEN_PATH_KEYS = {"description", "owner", "layers", "test_matrix", "test_command", "next_steps",
                     "test_workflow", "upgrade_edits", "optional_layers"}
_LAYER_KEYS = {"description", "owner", "path", "once", "managed", "produces", "contract"}


@dataclass(frozen=True)
class LintResult:
    catalog: str
    findings: tuple[Finding, ...]
    errors: int
    warnings: int

    def failed(self, threshold: Severity) -> bool:
        return self.errors > 0 or (threshold is Severity.WARNING and self.warnings > 0)


def lint_catalog(root: Path, *, trust: bool = False) -> LintResult:
    """Every finding in the catalog whose working tree is at `root`.

    A plain copier template (no manifest) is checked as copier reads it
    (`check_plain`): what copier accepts is no finding. `trust`: its Jinja extensions
    may load (copier needs the same to render it).
    """
    root = root.resolve()
    if not root.is_dir():
        raise CatalogError(f"{root} is not a directory")
    copier_file = next((root / name for name in catalog_module.COPIER_FILES
                        if (root / name).is_file()), None)
    if copier_file is None:
        raise CatalogError(f"{root} is not a catalog: it has no copier.yml")
    found: list[Finding] = []
    copier_data = _load(copier_file, root, found)
    manifest_file = root / catalog_module.MANIFEST
    manifest = _load(manifest_file, root, found) if manifest_file.is_file() else None
    if found:
        return _result(root, found)
    if manifest is None:
        return _result(root, check_plain(root, copier_data, copier_file.name, trust=trust))
    found += check_manifest(manifest, root)
    found += check_copier(copier_data, copier_file.name, has_manifest=manifest is not None)
    if any(item.rule == "manifest-schema" for item in found):
        return _result(root, found)  # the catalog cannot be loaded to check templates
    try:
        loaded = catalog_module.load(root, source=str(root), version="0.0.0+lint")
    except CatalogError as error:
        if not any(item.rule == "copier-schema" for item in found):
            found.append(finding(copier_file.name, None, "copier-schema", str(error)))
        return _result(root, found)
    found += check_defaults(loaded, copier_data, copier_file.name)
    found += lint_files.check_templates(loaded, copier_data, copier_file.name)
    return _result(root, found)


def _result(root: Path, found: list[Finding]) -> LintResult:
    unique = sorted(set(found), key=lambda f: (f.file, f.line or 0, f.rule, f.message))
    errors = sum(1 for item in unique if item.severity is Severity.ERROR)
    return LintResult(catalog=str(root), findings=tuple(unique), errors=errors,
                      warnings=len(unique) - errors)


def _load(path: Path, root: Path, found: list[Finding]) -> Any:
    try:
        return yaml.load_document(path) or {}
    except InputError as error:
        # "PATH:LINE: invalid YAML: problem" (see paved.yaml.loads)
        parsed = re.match(r"^:(\d+): (.*)$", str(error).removeprefix(str(path)))
        line, message = (int(parsed[1]), parsed[2]) if parsed else (None, str(error))
        found.append(finding(path.relative_to(root).as_posix(), line, "yaml-syntax", message))
        return None


def check_manifest(manifest: Any, root: Path) -> list[Finding]:
    """The shape of paved-catalog.yml: golden paths, layers, owners, test declarations."""
    file = catalog_module.MANIFEST
    if not isinstance(manifest, Mapping):
        return [finding(file, 1, "manifest-schema", "must be a mapping")]
    found = list(_unknown_keys(manifest, _MANIFEST_KEYS, file, "the manifest"))
    layers = manifest.get("layers")
    golden_paths = manifest.get("golden_paths")
    for key, value in (("layers", layers), ("golden_paths", golden_paths)):
        if not isinstance(value, Mapping) or not value:
            found.append(finding(file, yaml.line_of(manifest, key), "manifest-schema",
                                 f"{key} must be a non-empty mapping"))
    if found and any(item.severity is Severity.ERROR for item in found):
        return found
    assert isinstance(layers, Mapping) and isinstance(golden_paths, Mapping)
    for key, problem_of in (("url", origin.url_problem),
                            ("paved_requirement", origin.requirement_problem)):
        problem = problem_of(manifest[key]) if key in manifest else ""
        if problem:
            found.append(finding(file, yaml.line_of(manifest, key), "manifest-schema",
                                 f"{key} {problem}"))
    for name, spec in layers.items():
        found += _check_entry(layers, name, spec, "layer", _LAYER_KEYS)
        if isinstance(spec, Mapping):
            found += _check_layer_path(spec, str(name), root)
    for name, spec in golden_paths.items():
        found += _check_entry(golden_paths, name, spec, "golden path", _GOLDEN_PATH_KEYS)
        if isinstance(spec, Mapping):
            found += _check_golden_path(spec, str(name), set(layers), root)
    return found


def _check_entry(parent: Mapping[str, Any], name: str, spec: Any, kind: str,
                 known: set[str]) -> Iterator[Finding]:
    file, line = catalog_module.MANIFEST, yaml.line_of(parent, name)
    if not NAME_PATTERN.match(str(name)):
        yield finding(file, line, "manifest-schema", f"{kind} name {name!r} must be lowercase "
                      "letters, digits and single dashes, starting with a letter")
    if not isinstance(spec, Mapping):
        yield finding(file, line, "manifest-schema", f"{kind} {name!r} must be a mapping")
        return
    for key in ("description", "owner"):
        if not str(spec.get(key) or "").strip():
            yield finding(file, line, "manifest-schema", f"{kind} {name!r} has no {key}")
    yield from _unknown_keys(spec, known, file, f"{kind} {name!r}")


def _check_layer_path(spec: Mapping[str, Any], name: str, root: Path) -> Iterator[Finding]:
    file = catalog_module.MANIFEST
    path = str(spec.get("path", f"layers/{name}"))
    line = yaml.line_of(spec, "path") or yaml.line_of(spec, "description")
    folder = (root / path).resolve()
    if not folder.is_relative_to(root) or folder == root:
        yield finding(file, line, "manifest-schema",
                      f"layer {name!r}: path {path!r} must be a folder inside the catalog")
    elif not folder.is_dir():
        yield finding(file, line, "manifest-schema",
                      f"layer {name!r}: folder {path!r} does not exist")
    for key in ("once", "managed", "produces"):
        value = spec.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            yield finding(file, yaml.line_of(spec, key), "manifest-schema",
                          f"layer {name!r}: {key} must be a list of paths or globs")
        elif key != "produces" and paths.invalid(value) is not None:
            yield finding(file, yaml.line_of(spec, key), "manifest-schema",
                          f"layer {name!r}: {key} pattern {paths.invalid(value)!r} is not a "
                          "valid gitignore-style pattern")


def _check_golden_path(spec: Mapping[str, Any], name: str, declared: set[str],
                       root: Path) -> Iterator[Finding]:
    file = catalog_module.MANIFEST
    line = yaml.line_of(spec, "layers")
    layers = spec.get("layers")
    if not isinstance(layers, list) or not layers:
        yield finding(file, line, "manifest-schema",
                      f"golden path {name!r}: layers must be a non-empty list")
        return
    for layer in layers:
        if layer not in declared:
            yield finding(file, line, "manifest-schema",
                          f"golden path {name!r} uses undeclared layer {layer!r}")
    if len(set(map(str, layers))) != len(layers):
        yield finding(file, line, "manifest-schema",
                      f"golden path {name!r} lists a layer twice")
    optional = spec.get("optional_layers") or []
    if not isinstance(optional, list) or not all(isinstance(item, str) for item in optional):
        yield finding(file, yaml.line_of(spec, "optional_layers"), "manifest-schema",
                      f"golden path {name!r}: optional_layers must be a list of layer names")
        optional = []
    for layer in optional:
        if layer not in declared:
            yield finding(file, yaml.line_of(spec, "optional_layers"), "manifest-schema",
                          f"golden path {name!r} offers undeclared layer {layer!r}")
        elif layer in layers:
            yield finding(file, yaml.line_of(spec, "optional_layers"), "manifest-schema",
                          f"golden path {name!r} lists layer {layer!r} as both included "
                          "and optional")
    matrix = spec.get("test_matrix", {})
    if not isinstance(matrix, Mapping) or not all(
            isinstance(answers, Mapping) or answers is None for answers in matrix.values()):
        yield finding(file, yaml.line_of(spec, "test_matrix"), "manifest-schema",
                      f"golden path {name!r}: test_matrix must map answer-set names "
                      "to mappings of answers")
    elif isinstance(matrix, Mapping):
        for set_name, answers in matrix.items():
            chosen = (answers or {}).get("with", [])
            if not isinstance(chosen, list) or any(item not in optional for item in chosen):
                yield finding(file, yaml.line_of(matrix, set_name), "manifest-schema",
                              f"golden path {name!r}, answer set {set_name!r}: with must list "
                              f"optional layers of the golden path "
                              f"({', '.join(map(str, optional)) or 'it offers none'})")
    if not isinstance(spec.get("test_command", ""), str):
        yield finding(file, yaml.line_of(spec, "test_command"), "manifest-schema",
                      f"golden path {name!r}: test_command must be a shell command")
    workflow = spec.get("test_workflow")
    if workflow is not None and not (isinstance(workflow, str)
                                     and re.fullmatch(r"\.github/workflows/[\w.-]+\.ya?ml",
                                                      workflow)):
        yield finding(file, yaml.line_of(spec, "test_workflow"), "manifest-schema",
                      f"golden path {name!r}: test_workflow must name a workflow the render "
                      "has, such as .github/workflows/ci.yml")
    edits = spec.get("upgrade_edits")
    if edits is not None and not (isinstance(edits, str) and (root / edits).is_dir()
                                  and (root / edits).resolve().is_relative_to(root)):
        yield finding(file, yaml.line_of(spec, "upgrade_edits"), "manifest-schema",
                      f"golden path {name!r}: upgrade_edits must be a folder in the catalog")


def _unknown_keys(spec: Mapping[str, Any], known: set[str], file: str,
                  what: str) -> Iterator[Finding]:
    for key in spec:
        if str(key) not in known:
            yield finding(file, yaml.line_of(spec, key), "unknown-key",
                          f"{what} has unknown key {key!r}; known: {', '.join(sorted(known))}")


def check_copier(config: Any, file: str, *, has_manifest: bool) -> list[Finding]:
    """The shape of copier.yml: settings, and each question's keys, type and help."""
    if not isinstance(config, Mapping):
        return [finding(file, 1, "copier-schema", "must be a mapping of questions")]
    found: list[Finding] = []
    subdirectory = str(config.get("_subdirectory", ""))
    if has_manifest and render.LAYER_VARIABLE not in subdirectory:
        found.append(finding(file, yaml.line_of(config, "_subdirectory") or 1, "copier-schema",
                             '_subdirectory must be "{{ paved_layer }}" so that each layer '
                             "renders from its own folder"))
    for name, spec in config.items():
        if str(name).startswith("_"):
            continue
        line = yaml.line_of(config, name)
        if not isinstance(spec, Mapping):
            found.append(finding(file, line, "question-help", f"question {name!r} uses the "
                                 "short form and has no help text; write it as a mapping "
                                 "with type, help and default"))
            continue
        kind = str(spec.get("type", "str"))
        if kind not in TYPES:
            found.append(finding(file, line, "copier-schema", f"question {name!r} has "
                                 f"unknown type {kind!r}; use one of {', '.join(TYPES)}"))
        if not str(spec.get("help") or "").strip():
            found.append(finding(file, line, "question-help",
                                 f"question {name!r} has no help text"))
        found += _unknown_keys(spec, _QUESTION_KEYS, file, f"question {name!r}")
    return found


def check_defaults(loaded: catalog_module.Catalog, config: Mapping[str, Any],
                   file: str) -> list[Finding]:
    """Each default, rendered in order as copier does, passes its question's own checks."""
    env = render.environment(loaded.root)
    golden_path = next(iter(loaded.golden_paths.values()))
    scope: dict[str, Any] = paved_context(loaded, golden_path)
    found = []
    for question in loaded.questions:
        line = yaml.line_of(config, question.name)
        problem = _default_problem(question, env, scope)
        if problem:
            found.append(finding(file, line, "question-default", problem))
    return found


def _default_problem(question: Question, env: Any, scope: dict[str, Any]) -> str:
    if question.default is None:
        return (f"question {question.name!r} has no default, so `--defaults` and "
                "non-interactive use cannot answer it")
    try:
        raw = question.default
        if isinstance(raw, str) and "{" in raw:
            raw = render.render_string(env, raw, scope)
        value = convert(question, raw)
        check(question, value, env, {**scope, question.name: value})
    except PavedError as error:
        return f"default of {question.name!r} is invalid: {error}"
    scope[question.name] = value
    return ""


def check_plain(root: Path, config: Any, file: str, *, trust: bool) -> list[Finding]:
    """A plain copier template, as copier reads it: its extensions load (with `trust`),
    its templates parse in its own Jinja environment, and copier renders it over each
    answer set (`paved-answer-sets.yml`, else the defaults)."""
    if not isinstance(config, Mapping):
        return [finding(file, 1, "copier-schema", "must be a mapping of questions")]
    extensions_line = yaml.line_of(config, "_jinja_extensions")
    if config.get("_jinja_extensions") and not trust:
        return [finding(file, extensions_line, "needs-trust",
                        "the template loads Jinja extensions, which run code: pass --trust "
                        "if you trust it (copier renders it only with --trust too)")]
    try:
        loaded = catalog_module.load(root, source=str(root), version="0.0.0+lint",
                                     told=render.Origin(src_path=str(root)))
    except CatalogError as error:
        return [finding(file, None, "copier-schema", str(error))]
    try:
        env = render.template_environment(root, trust=trust)
    except PavedError as error:
        return [finding(file, extensions_line, "jinja-extension",
                        str(error).removeprefix("rendering failed: "))]
    except Exception as error:  # the template's own code, failing to load: a finding
        return [finding(file, extensions_line, "jinja-extension",
                        f"{type(error).__name__}: {one_line(str(error), 300)}")]
    found = lint_files.check_templates(loaded, config, file, env=env)
    if config.get("_tasks") and not trust:
        return [*found, finding(file, yaml.line_of(config, "_tasks"), "needs-trust",
                                "the template runs tasks: pass --trust if you trust it to "
                                "check its render (copier renders it only with --trust too)")]
    if any(item.rule == "jinja-syntax" for item in found):
        return found  # copier would stop at the first; the render adds nothing
    return found + check_plain_renders(loaded, file, trust=trust)


def check_plain_renders(loaded: catalog_module.Catalog, file: str, *,
                        trust: bool) -> list[Finding]:
    """copier's render of a plain template over each answer set, into a scratch folder:
    a failure is a finding at the file and line copier names."""
    golden_path = next(iter(loaded.golden_paths.values()))
    declared = bool(golden_path.test_matrix)
    found = []
    for set_name, given in lint_files.sample_answer_sets(golden_path).items():
        samples = _samples(loaded, given)
        where = f" (answers {set_name!r}" + (
            f", sample answers for {', '.join(samples)})" if samples else ")")
        how = render.Render(origin=loaded.origin, trust=trust)
        try:
            answers = resolve_answers(loaded.questions, {**samples, **given},
                                      catalog_root=loaded.root,
                                      context=paved_context(loaded, golden_path), how=how)
        except PavedError as error:
            found.append(finding(catalog_module.ANSWER_SETS, None, "test-matrix",
                                 f"answer set {set_name!r}: {error}") if declared else
                         finding(file, None, "answers-needed", f"the render was not checked: "
                                 f"{error}; give answers in {catalog_module.ANSWER_SETS}"))
            continue
        with tempfile.TemporaryDirectory(prefix="paved-lint-") as scratch:
            dest = Path(scratch) / "project"
            dest.mkdir()
            try:
                render_golden_path(loaded, golden_path, answers, dest, trust=trust)
            except PavedError as error:
                found.append(_render_finding(str(error), file, where))
    return found


def _samples(loaded: catalog_module.Catalog, given: Mapping[str, Any]) -> dict[str, Any]:
    """Answers for the questions copier cannot answer alone (no default), so that lint
    can render a template whose author gave no answer set: a choice, else by type."""
    by_type = {"str": "example", "int": "1", "float": "1.0", "bool": "false", "yaml": "{}",
               "json": "{}"}
    return {question.name: ([] if question.multiselect else question.choices[0])
            if question.choices else by_type.get(question.type, "example")
            for question in loaded.questions
            if question.default is None and question.name not in given}


def _render_finding(message: str, file: str, where: str) -> Finding:
    """`rendering failed: PATH:LINE: what` (render.RenderError) as a finding at PATH:LINE."""
    placed = re.match(r"^rendering failed: ([^:\s][^:]*):(\d+): (.*)$", message)
    if placed:
        return finding(placed[1], int(placed[2]), "render-error", placed[3] + where)
    return finding(file, None, "render-error", message + where)


def to_sarif(result: LintResult, *, uri_prefix: str = "") -> dict[str, Any]:
    """The findings as SARIF; file URIs are `uri_prefix` + the catalog-relative path.

    Code scanning resolves URIs against the repository root, so a catalog kept in a
    subdirectory passes that subdirectory (with a trailing slash) as `uri_prefix`.
    """
    from paved import sarif

    rules = [sarif.Rule(id=rule, short=description, level=severity.value,
                        help_uri=sarif.DOCS + "authoring.md#2-lint-it")
             for rule, (severity, description) in RULES.items()]
    results = [sarif.Result(rule_id=item.rule, level=item.severity.value, message=item.message,
                            location=sarif.Location(uri_prefix + item.file, item.line))
               for item in result.findings]
    return sarif.document(rules, results)
