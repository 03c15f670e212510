"""A repository holding several services is checked service by service; every output
format says which service a finding belongs to, and SARIF stays valid SARIF 2.1.0."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from paved.check import run_check
from paved.check.rule import Severity, Status
from tests.check.fixture_repo import compliant_repo
from tests.helpers import ROOT, build_file_tree, commit_all, run_cli

SCHEMA = ROOT / "tests" / "schemas" / "sarif-schema-2.1.0.json"
ROLLBACK = ".github/workflows/rollback.yml"


def valid_sarif(document: dict[str, Any]) -> None:
    """Validate against the OASIS SARIF 2.1.0 schema, as code-scanning services do."""
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(document)


@pytest.fixture
def monorepo(tmp_path: Path) -> Path:
    """Two paved services side by side, their workflows at the root (where GitHub reads
    them), each naming its service's folder; the ledger has no rollback workflow."""
    root = tmp_path / "platform"
    for name in ("payments", "ledger"):
        service = compliant_repo(root / "services" / name)
        for workflow in sorted((service / ".github/workflows").iterdir()):
            text = workflow.read_text().replace(
                "jobs:\n", f"defaults:\n  run:\n    working-directory: services/{name}\njobs:\n",
                1)
            build_file_tree(root, {f".github/workflows/{name}-{workflow.name}": text})
            workflow.unlink()
    (root / f".github/workflows/ledger-{ROLLBACK.rsplit('/', 1)[-1]}").unlink()
    build_file_tree(root, {"README.md": "# platform\n", "CODEOWNERS": "* @org/platform\n"})
    commit_all(root, "services")
    return root


def test_each_service_gets_its_own_report(monorepo: Path) -> None:
    report = run_check(monorepo)
    assert [(s.service, s.paved, s.golden_path) for s in report.services] == [
        ("services/ledger", True, "python-service"),
        ("services/payments", True, "python-service")]
    assert report.results == ()
    ledger, payments = report.services
    assert payments.score == 100
    failing = {r.id: r.status for r in ledger.results if r.status is not Status.PASS}
    assert failing == {"rollback/workflow": Status.FAIL, "rollback/builds-nothing":
                       Status.NOT_APPLICABLE, "rollback/timeout": Status.NOT_APPLICABLE}
    [workflow] = [r for r in ledger.results if r.id == "rollback/workflow"]
    assert [(e.path, e.message) for e in workflow.evidence] == [
        (".github/workflows/ledger-deploy.yml", "deploys, but no .github/workflows/rollback.yml")]
    assert [r.id for r in report.failures(at_least=Severity.HIGH)] == ["rollback/workflow"]
    currency = next(r for r in payments.results if r.id == "currency/golden-path-version")
    assert currency.evidence[0].path == "services/payments/.paved.yml"


def test_a_service_reads_only_its_own_files_and_the_shared_ones(monorepo: Path) -> None:
    # A call without a timeout in payments does not fail ledger; a shared library fails both.
    build_file_tree(monorepo, {"services/payments/src/payments_api/bad.py":
                               "import requests\nrequests.get('http://x')\n"})
    timeouts = {s.service: next(r.status for r in s.results
                                if r.id == "isolation/outbound-timeouts")
                for s in run_check(monorepo).services}
    assert timeouts == {"services/ledger": Status.PASS, "services/payments": Status.FAIL}
    build_file_tree(monorepo, {"libs/shared/http.py": "import requests\nrequests.get('http://x')\n"})
    timeouts = {s.service: next(r.status for r in s.results
                                if r.id == "isolation/outbound-timeouts")
                for s in run_check(monorepo).services}
    assert timeouts == {"services/ledger": Status.FAIL, "services/payments": Status.FAIL}


def test_deployables_without_a_paved_record_are_services(tmp_path: Path) -> None:
    root = tmp_path / "mono"
    for name in ("api", "worker"):
        compliant_repo(root / name)
        (root / name / ".paved.yml").unlink()
    report = run_check(root)
    assert [(s.service, s.paved) for s in report.services] == [("api", False), ("worker", False)]
    assert not report.paved


def test_one_service_at_the_root_is_checked_as_before(tmp_path: Path) -> None:
    repo = compliant_repo(tmp_path / "payments-api")
    build_file_tree(repo, {"tools/dev/Dockerfile": "FROM python:3.12\nUSER 10001\n"})
    report = run_check(repo)
    assert report.services == () and report.score == 100 and report.service == ""


def test_text_and_json_show_each_service(monorepo: Path) -> None:
    result = run_cli(["check", str(monorepo)])
    assert result.exit_code == 4
    lines = result.stdout.splitlines()
    assert lines[0] == f"paved check {monorepo.resolve()}: score 98/100 (2 services)"
    assert "== service services/ledger: score 95/100 (paved python-service 0.1.0)" in lines
    assert "== service services/payments: score 100/100 (paved python-service 0.1.0)" in lines
    assert "    .github/workflows/ledger-deploy.yml:1: deploys, but no " \
           ".github/workflows/rollback.yml" in lines
    data = json.loads(run_cli(["check", str(monorepo), "--json"]).stdout)
    assert [(s["service"], s["score"]) for s in data["services"]] == [
        ("services/ledger", 95), ("services/payments", 100)]


def test_sarif_of_a_monorepo_is_valid_and_names_the_service(monorepo: Path) -> None:
    result = run_cli(["check", str(monorepo), "--format", "sarif"])
    sarif = json.loads(result.stdout)
    valid_sarif(sarif)
    run = sarif["runs"][0]
    assert [(r["ruleId"], r["properties"]) for r in run["results"]] == [
        ("rollback/workflow", {"service": "services/ledger"})]
    assert run["properties"]["services"] == ["services/ledger", "services/payments"]


def test_sarif_with_rules_not_checked_and_files_not_read_is_valid(tmp_path: Path) -> None:
    repo = compliant_repo(tmp_path / "payments-api")
    main = repo / "src/payments_api/main.py"
    main.write_text(main.read_text() + "# padding\n" * 600)
    build_file_tree(repo, {"pyproject.toml": "[tool.paved.check]\nmax-file-bytes = 5000\n",
                           "node_modules/x/index.js": "1\n"})
    (repo / ROLLBACK).unlink()
    sarif = json.loads(run_cli(["check", str(repo), "--format", "sarif"]).stdout)
    valid_sarif(sarif)
    run = sarif["runs"][0]
    assert [r["ruleId"] for r in run["results"]] == ["rollback/workflow"]  # alerts: failures
    notifications = run["invocations"][0]["toolExecutionNotifications"]
    unsure = [n for n in notifications if n["level"] == "warning"]
    assert "observability/probes" in [n["associatedRule"]["id"] for n in unsure]
    for item in unsure:
        assert run["tool"]["driver"]["rules"][item["associatedRule"]["index"]]["id"] == \
            item["associatedRule"]["id"]
    [skipped] = [n for n in notifications if n["level"] == "note"]
    assert skipped["message"]["text"] == "not read: larger than 5000 bytes (max-file-bytes)"
    assert skipped["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == \
        "src/payments_api/main.py"
    assert run["properties"] == {"limits": {"max_file_bytes": 5000}, "excluded": [
        {"why": "default exclude node_modules/", "files": 1, "first": "node_modules/x/index.js"}]}


def test_markdown_shows_each_service_and_rules_not_checked(monorepo: Path) -> None:
    text = run_cli(["check", str(monorepo), "--format", "markdown"]).stdout
    assert text.startswith("### paved check: 98/100\n\n#### services/ledger: 95/100\n")
    assert "#### services/payments: 100/100" in text
    assert "| ❌ | **rollback/workflow** A one-step rollback workflow exists | high |" in text
