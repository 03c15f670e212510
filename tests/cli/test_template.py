from __future__ import annotations

import json
from pathlib import Path

import pytest

from paved.catalog import bundled_root
from tests.check.test_monorepo import valid_sarif
from tests.helpers import commit_all, run_cli
from tests.template_catalogs import small_catalog

pytestmark = pytest.mark.usefixtures("validators_tools")


def test_lint_the_bundled_catalog() -> None:
    result = run_cli(["template", "lint", str(bundled_root())])
    assert result.exit_code == 0, result.stdout
    assert result.stdout.splitlines()[-1].startswith("0 error(s), ") or \
        result.stdout == f"No findings in {bundled_root()}.\n"


def test_lint_prints_findings_and_exits_4(tmp_path: Path) -> None:
    root = small_catalog(tmp_path, {"layers/base/x.md.jinja": "\n{{ nope }}\n"})
    result = run_cli(["template", "lint", str(root)])
    assert (result.exit_code, result.stderr) == (4, "")
    assert result.stdout == (
        "layers/base/x.md.jinja:2: error: 'nope' is not a question of the catalog nor a "
        "variable paved or copier provides [undefined-variable]\n"
        f"1 error(s), 0 warning(s) in {root}\n")


def test_lint_warnings_fail_only_when_asked(tmp_path: Path) -> None:
    root = small_catalog(tmp_path, {"paved-catalog.yml": (
        small_catalog(tmp_path).joinpath("paved-catalog.yml").read_text() + "colour: blue\n")})
    assert run_cli(["template", "lint", str(root)]).exit_code == 0
    assert run_cli(["template", "lint", str(root), "--fail-on", "warning"]).exit_code == 4
    clean = small_catalog(tmp_path / "clean")
    result = run_cli(["template", "lint", str(clean), "--fail-on", "warning"])
    assert (result.exit_code, result.stdout) == (0, f"No findings in {clean}.\n")


def test_lint_json_and_sarif(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    small_catalog(tmp_path / "templates", {"layers/base/x.md.jinja": "{{ nope }}\n"})
    monkeypatch.chdir(tmp_path)
    as_json = json.loads(run_cli(["template", "lint", "templates", "--json"]).stdout)
    assert as_json["schema_version"] == 2 and (as_json["errors"], as_json["warnings"]) == (1, 0)
    assert as_json["findings"] == [{
        "file": "layers/base/x.md.jinja", "line": 1, "rule": "undefined-variable",
        "message": "'nope' is not a question of the catalog nor a variable paved or copier "
                   "provides", "severity": "error"}]
    result = run_cli(["template", "lint", "templates", "--format", "sarif"])
    assert result.exit_code == 4
    sarif = json.loads(result.stdout)
    valid_sarif(sarif)  # the OASIS SARIF 2.1.0 schema, as code scanning reads it
    assert (sarif["version"], sarif["$schema"]) == (
        "2.1.0", "https://json.schemastore.org/sarif-2.1.0.json")
    run = sarif["runs"][0]
    rule_ids = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert run["tool"]["driver"]["rules"][0]["helpUri"] == (
        "https://github.com/paved-dev/paved/blob/main/docs/authoring.md#2-lint-it")
    fingerprint = run["results"][0].pop("partialFingerprints")["pavedFinding/v1"]
    assert len(fingerprint) == 32 and int(fingerprint, 16) >= 0
    assert run["results"] == [{
        "ruleId": "undefined-variable", "ruleIndex": rule_ids.index("undefined-variable"),
        "level": "error",
        "message": {"text": "'nope' is not a question of the catalog nor a variable paved or "
                            "copier provides"},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": "templates/layers/base/x.md.jinja"},
            "region": {"startLine": 1}}}]}]


def test_init_then_lint(tmp_path: Path) -> None:
    root = small_catalog(tmp_path)
    result = run_cli(["template", "init", "extra", "--layer", "--golden-path", "svc",
                      "--catalog-dir", str(root)])
    assert (result.exit_code, result.stdout) == (0, (
        f"Added layer extra (joins golden path svc) to {root}.\n"
        "Created: layers/extra/docs/extra.md.jinja, partials/provenance.jinja\n"
        "Changed: paved-catalog.yml, copier.yml (example question extra_summary)\n"
        "Next: edit layers/extra, then `paved template lint` and `paved template test`.\n"))
    assert run_cli(["template", "lint", str(root)]).exit_code == 0
    again = run_cli(["template", "init", "extra", "--layer", "--catalog-dir", str(root)])
    assert (again.exit_code, again.stderr) == (
        1, "paved: error: layer 'extra' already exists in paved-catalog.yml\n")


def test_test_prints_a_table_and_exits_4_on_failure(tmp_path: Path) -> None:
    root = small_catalog(tmp_path)
    result = run_cli(["template", "test", str(root), "--skip-tests"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["GOLDEN", "PATH", "ANSWERS", "RENDER", "VALIDATORS", "TEST",
                                "UPGRADE", "SECONDS"]
    assert lines[1].split()[:6] == ["svc", "defaults", "passed", "passed", "skipped",
                                    "skipped"]
    assert "svc/defaults upgrade skipped: no released version to upgrade from" in lines
    assert lines[-1].startswith(f"All 2 render(s) passed, 4 step(s) skipped (catalog {root} "
                                "v0.0.0+dev, ")
    assert result.stderr == ("testing svc with answers 'defaults'\n"
                             "testing svc with answers 'other-port'\n")
    manifest = root / "paved-catalog.yml"
    manifest.write_text(manifest.read_text().replace("test -s README.md", "exit 1"))
    failed = run_cli(["template", "test", str(root), "--json", "--trust"])
    assert failed.exit_code == 4
    document = json.loads(failed.stdout)
    assert document["passed"] is False
    assert [step["status"] for step in document["renders"][0]["steps"]] == [
        "passed", "passed", "failed", "skipped"]


def test_release(tmp_path: Path) -> None:
    root = small_catalog(tmp_path)
    commit_all(root, "Start", tag="v1.0.0")
    (root / "layers/base/more.md").write_text("more\n")
    commit_all(root, "More docs")
    refused = run_cli(["template", "release", str(root), "--version", "1.0.0", "--trust"])
    assert (refused.exit_code, refused.stderr) == (
        1, "paved: error: version 1.0.0 is not greater than the latest release 1.0.0\n")
    result = run_cli(["template", "release", str(root), "--bump", "minor", "--trust"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Released 1.1.0 (after 1.0.0): tag v1.1.0 on commit ")
    assert result.stdout.endswith(", 1 change(s) in CHANGELOG.md.\n"
                                  "Next: git push --follow-tags; services get it with "
                                  "`paved update`.\n")
    assert "linting the catalog\n" in result.stderr
