"""Scaffolding a new golden path or layer in a catalog (`paved template init`).

Adds to the manifest (owner, description, what the layer produces), appends an
example question to copier.yml (help, type, default, validator), and creates the
layer folder with an example file that uses a shared partial. Both YAML files
are edited round-trip, so their comments and layout stay as they were. The
result passes `paved template lint`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from paved import yaml
from paved.authoring.lint import NAME_PATTERN
from paved.catalog import COPIER_FILES, MANIFEST
from paved.errors import CatalogError, InputError

PARTIAL = "partials/provenance.jinja"
_PARTIAL_TEXT = """\
{#- Shared by every layer: where a generated file comes from and how it changes.
    Macros do not see the render context, so callers pass what they know. -#}
{%- macro provenance(layer, golden_path, version) -%}
This file comes from the `{{ layer }}` layer of the `{{ golden_path }}` golden path
(catalog version {{ version }}). Run `paved update` to bring in the platform
team's later changes; your own edits are kept.
{%- endmacro -%}
"""
_EXAMPLE_TEXT = """\
{{% from "{partial}" import provenance -%}}
# {name}

{{{{ {question} }}}}

{{{{ provenance("{name}", paved_golden_path, paved_catalog_version) }}}}
"""
_VALIDATOR = """\
{{%- if not {question}.strip() -%}}
must not be empty
{{%- elif '\\n' in {question} -%}}
must be one line
{{%- endif -%}}"""


@dataclass(frozen=True)
class ScaffoldResult:
    catalog: str
    kind: str  # "layer" or "golden path"
    name: str
    question: str
    created: tuple[str, ...]  # catalog-relative paths
    changed: tuple[str, ...]


def scaffold(root: Path, name: str, *, layer: bool, golden_path: str | None = None,
             owner: str | None = None, description: str | None = None) -> ScaffoldResult:
    """Add a layer (`layer=True`, optionally to `golden_path`) or a golden path named `name`."""
    root = root.resolve()
    if not NAME_PATTERN.match(name):
        raise InputError(f"invalid name {name!r}: use lowercase letters, digits and single "
                         "dashes, starting with a letter (for example payments-dashboards)")
    manifest_file = root / MANIFEST
    copier_file = next((root / f for f in COPIER_FILES if (root / f).is_file()), None)
    if copier_file is None or not manifest_file.is_file():
        missing = MANIFEST if copier_file else "copier.yml"
        raise CatalogError(f"{root} is not a paved catalog: it has no {missing} "
                           "(a plain copier template has exactly one golden path)")
    manifest, questions = yaml.load_document(manifest_file), yaml.load_document(copier_file)
    layers, golden_paths = manifest.get("layers"), manifest.get("golden_paths")
    if not isinstance(layers, Mapping) or not isinstance(golden_paths, Mapping):
        raise CatalogError(f"{manifest_file}: needs golden_paths and layers mappings; "
                           "run `paved template lint` to see what is wrong")
    question = name.replace("-", "_") + "_summary"
    folder = f"layers/{name}"
    _refuse_existing(root, name, layer, golden_path, layers, golden_paths, questions,
                     question, folder)
    owner = owner or _first_owner(golden_paths, golden_path) or "platform-team"
    kind = "layer" if layer else "golden path"
    description = description or f"What the {name} {kind} adds (say it here)"
    example = f"docs/{name}.md"

    yaml.add_entry(layers, name, yaml.mapping({
        "description": description, "owner": owner, "path": folder, "produces": [example],
    }), comment=f"Added by `paved template init {name}`.", indent=2)
    if golden_path is not None:
        golden_paths[golden_path]["layers"].append(name)
    if not layer:
        base = ["base"] if "base" in layers else []
        yaml.add_entry(golden_paths, name, yaml.mapping({
            "description": description, "owner": owner, "layers": [*base, name],
            "test_matrix": {"defaults": {}}, "test_command": f"test -s {example}",
        }), comment=f"Added by `paved template init {name}`.", indent=2)
    yaml.add_entry(questions, question, yaml.mapping({
        "type": "str",
        "help": f"One line on what the {name} {kind} adds to this service.",
        "default": f"The {name} {kind} of the catalog.",
        "validator": yaml.literal(_VALIDATOR.format(question=question)),
    }), comment=f"Asked by the {name} layer (added by `paved template init {name}`).")

    created = [f"{folder}/{example}.jinja"]
    (root / folder / "docs").mkdir(parents=True)
    (root / created[0]).write_text(_EXAMPLE_TEXT.format(partial=PARTIAL, name=name,
                                                        question=question), encoding="utf-8")
    if not (root / PARTIAL).exists():
        (root / PARTIAL).parent.mkdir(parents=True, exist_ok=True)
        (root / PARTIAL).write_text(_PARTIAL_TEXT, encoding="utf-8")
        created.append(PARTIAL)
    yaml.dump(manifest, manifest_file)
    yaml.dump(questions, copier_file)
    return ScaffoldResult(catalog=str(root), kind=kind, name=name, question=question,
                          created=tuple(created), changed=(MANIFEST, copier_file.name))


def _refuse_existing(root: Path, name: str, layer: bool, golden_path: str | None,
                     layers: Mapping[str, Any], golden_paths: Mapping[str, Any],
                     questions: Mapping[str, Any], question: str, folder: str) -> None:
    if name in layers:
        raise InputError(f"layer {name!r} already exists in {MANIFEST}")
    if not layer and name in golden_paths:
        raise InputError(f"golden path {name!r} already exists in {MANIFEST}")
    if not layer and golden_path is not None:
        raise InputError("--golden-path goes with --layer: it names the golden path "
                         "the new layer joins")
    if golden_path is not None and golden_path not in golden_paths:
        raise InputError(f"no golden path {golden_path!r} to add the layer to; the catalog "
                         f"has: {', '.join(sorted(golden_paths))}")
    if (root / folder).exists():
        raise InputError(f"{folder} already exists")
    if question in questions:
        raise InputError(f"question {question!r} already exists in copier.yml")


def _first_owner(golden_paths: Mapping[str, Any], preferred: str | None) -> str:
    specs = [golden_paths[preferred]] if preferred else list(golden_paths.values())
    return next((str(spec["owner"]) for spec in specs
                 if isinstance(spec, Mapping) and spec.get("owner")), "")
