"""`paved template lint` checks that each golden path's language layer fulfils the contract
the shared layers render from (docs/authoring.md, "The language-layer contract")."""

from __future__ import annotations

import shutil
from pathlib import Path

from paved.authoring.findings import Finding
from paved.authoring.lint import lint_catalog
from paved.authoring.lint_contract import makefile_targets
from paved.catalog import bundled_root


def contract_findings(root: Path) -> list[str]:
    findings: tuple[Finding, ...] = lint_catalog(root).findings
    return [f"{f.location()} {f.severity.value}: {f.message}" for f in findings
            if f.rule == "contract"]


def catalog_copy(tmp_path: Path) -> Path:
    root = tmp_path / "catalog"
    shutil.copytree(bundled_root(), root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))


def line_of(path: Path, line: str) -> int:
    """The number of the first line of `path` that is `line`."""
    return path.read_text().splitlines(keepends=True).index(line) + 1


def test_the_bundled_language_layers_fulfil_the_contract() -> None:
    assert contract_findings(bundled_root()) == []


def test_a_partial_missing_a_name_the_shared_layers_use(tmp_path: Path) -> None:
    root = catalog_copy(tmp_path)
    partial = root / "partials" / "contracts" / "python-service.jinja"
    edit(partial, "{%- macro ci_toolchain() -%}", "{%- macro toolchain() -%}")
    edit(partial, '{%- set live_path = "/livez" -%}', "")
    assert contract_findings(root) == [
        "partials/contracts/python-service.jinja error: layer 'python-service' does not "
        "provide live_path, ci_toolchain (contract: provides: in paved-catalog.yml)"]


def test_a_makefile_missing_a_target_ci_runs(tmp_path: Path) -> None:
    root = catalog_copy(tmp_path)
    makefile = root / "layers" / "python-service" / "Makefile.jinja"
    edit(makefile, "typecheck:\n\t$(VENV)/bin/mypy src\n", "")
    edit(makefile, "ci: lint typecheck test", "ci: lint test")
    assert contract_findings(root) == [
        "layers/python-service/Makefile.jinja error: golden path 'python-service': the "
        "Makefile has no target typecheck (contract: make_targets: in paved-catalog.yml)"]


def test_a_golden_path_without_a_language_layer(tmp_path: Path) -> None:
    root = catalog_copy(tmp_path)
    edit(root / "paved-catalog.yml", "    contract: partials/contracts/python-service.jinja\n",
         "")
    line = line_of(root / "paved-catalog.yml", "  python-service:\n")  # under golden_paths:
    assert contract_findings(root) == [
        f"paved-catalog.yml:{line} error: golden path 'python-service' has no language "
        "layer, which base, ci-github, deploy-k8s import(s) (paved_contract)"]


def test_a_contract_partial_that_is_not_there(tmp_path: Path) -> None:
    root = catalog_copy(tmp_path)
    (root / "partials" / "contracts" / "python-service.jinja").unlink()
    line = line_of(root / "paved-catalog.yml",
                   "    contract: partials/contracts/python-service.jinja\n")
    assert contract_findings(root) == [
        f"paved-catalog.yml:{line} error: layer 'python-service': contract partial "
        "'partials/contracts/python-service.jinja' does not exist"]


def test_makefile_targets_are_rule_heads_only() -> None:
    text = ("# lint: a comment\nVENV ?= .venv\nX := y\n.PHONY: install lint\n"
            "install:\n\tmake: not a rule\nlint typecheck: install\nci:: lint\n"
            "-include deploy/*.mk\n")
    assert makefile_targets(text) == {".PHONY", "install", "lint", "typecheck", "ci"}
