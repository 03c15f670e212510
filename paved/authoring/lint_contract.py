"""The language-layer contract, as `paved template lint` checks it (docs/authoring.md).

The shared layers (base, ci-github, deploy-k8s) name no language: they import
the golden path's language layer's partial (`paved_contract`) and run the
Makefile targets CI needs. For every language layer: its partial exists and
defines every name of the manifest's `contract: provides:`; for every golden
path: it has one language layer when its layers import the contract, and its
rendered Makefile has every target of `contract: make_targets:`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from paved import render, yaml
from paved.authoring.findings import Finding, finding
from paved.catalog import MANIFEST, Catalog, GoldenPath, Layer
from paved.errors import PavedError

CONTRACT_VARIABLE = "paved_contract"
# A rule's head: targets, one colon (not `:=`), prerequisites. Variables and recipes
# (tab-led) are not rules; `.PHONY` lists names, which is not defining them.
_RULE = re.compile(r"^(?P<targets>[A-Za-z0-9_.%/-]+(?:[ \t]+[A-Za-z0-9_.%/-]+)*)[ \t]*::?(?!=)")


def check_contract(loaded: Catalog, files: Sequence[Any], env: Any,
                   samples: Mapping[str, Mapping[str, Any] | None]) -> Iterator[Finding]:
    """Findings of the `contract` rule for the whole catalog (`files`: lint's LayerFiles;
    `samples`: each golden path's first answer set with every value, None if invalid)."""
    for layer in loaded.layers.values():
        if layer.contract:
            yield from _check_partial(loaded, layer, env)
    importers = {file.layer for file in files
                 if file.is_template and CONTRACT_VARIABLE in _variables(env, file.text)}
    for golden_path in loaded.golden_paths.values():
        yield from _check_golden_path(loaded, golden_path, importers, files, env,
                                      samples.get(golden_path.name))


def makefile_targets(text: str) -> set[str]:
    """The targets a Makefile defines (rule heads, recipes and variables aside)."""
    targets: set[str] = set()
    for line in text.splitlines():
        if line.startswith("\t") or line.lstrip().startswith("#"):
            continue
        match = _RULE.match(line)
        if match:
            targets.update(match["targets"].split())
    return targets


def _check_partial(loaded: Catalog, layer: Layer, env: Any) -> Iterator[Finding]:
    line = _layer_line(loaded.root, layer.name)
    path = loaded.root / layer.contract
    if not path.is_file():
        yield finding(MANIFEST, line, "contract", f"layer {layer.name!r}: contract partial "
                      f"{layer.contract!r} does not exist")
        return
    defined = render.exported_names(env, path.read_text(encoding="utf-8", errors="replace"))
    if defined is None:
        return  # a syntax error: jinja-syntax reports it
    missing = [name for name in loaded.contract.provides if name not in defined]
    if missing:
        yield finding(layer.contract, None, "contract", f"layer {layer.name!r} does not "
                      f"provide {', '.join(missing)} (contract: provides: in {MANIFEST})")


def _check_golden_path(loaded: Catalog, golden_path: GoldenPath, importers: set[str],
                       files: Sequence[Any], env: Any,
                       values: Mapping[str, Any] | None) -> Iterator[Finding]:
    layers = loaded.layers_of(golden_path)
    language = [layer for layer in layers if layer.contract]
    line = _golden_path_line(loaded.root, golden_path.name)
    if len(language) > 1:
        yield finding(MANIFEST, line, "contract", f"golden path {golden_path.name!r} has "
                      f"more than one language layer: {', '.join(item.name for item in language)}")
        return
    users = sorted(layer.name for layer in layers if layer.name in importers)
    if not language:
        if users:
            yield finding(MANIFEST, line, "contract", f"golden path {golden_path.name!r} has "
                          f"no language layer, which {', '.join(users)} import(s) "
                          f"({CONTRACT_VARIABLE})")
        return
    if not loaded.contract.make_targets:
        return
    makefiles = [file for file in files if file.layer in golden_path.layers
                 and file.parts == ("Makefile",)]
    text = _rendered(loaded, makefiles, env, values)
    if text is None:
        return  # no Makefile renders: reported below, or a render error reported elsewhere
    missing = [target for target in loaded.contract.make_targets
               if target not in makefile_targets(text)]
    if missing:
        yield finding(makefiles[0].display, None, "contract", f"golden path "
                      f"{golden_path.name!r}: the Makefile has no target {', '.join(missing)} "
                      f"(contract: make_targets: in {MANIFEST})")


def _rendered(loaded: Catalog, makefiles: Sequence[Any], env: Any,
              values: Mapping[str, Any] | None) -> str | None:
    if not makefiles:
        return ""
    makefile = makefiles[0]
    if not makefile.is_template:
        return str((loaded.root / makefile.display).read_text(encoding="utf-8",
                                                              errors="replace"))
    if values is None:
        return None  # the answer set is invalid: test-matrix reports it
    return render.render_strict(env, makefile.text, values, filename=makefile.display).text


def _variables(env: Any, text: str) -> set[str]:
    return set(render.inspect_template(env, text).variables)


def _layer_line(root: Path, layer: str) -> int | None:
    try:
        return yaml.line_of(yaml.load_document(root / MANIFEST)["layers"][layer], "contract")
    except (PavedError, KeyError, TypeError):
        return None


def _golden_path_line(root: Path, name: str) -> int | None:
    try:
        return yaml.line_of(yaml.load_document(root / MANIFEST)["golden_paths"], name)
    except (PavedError, KeyError, TypeError):
        return None
