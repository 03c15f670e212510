"""`paved check` reads TypeScript with the TypeScript compiler (issue 19): node-service's fresh
render passes every rule but the evidence it cannot have yet (no chaos run, no rollback drill:
its failure tolerance is configured, not verified), scores 100 with that evidence, and the
breakages that fail python-service fail it too."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from paved.check import builtin_rules, run_check
from paved.check.options import CheckOptions
from paved.check.rule import Status
from tests.check.fixture_repo import drill, journal
from tests.helpers import NPM_CACHE, ROOT, build_file_tree


@pytest.fixture(autouse=True)
def shared_typescript(monkeypatch: pytest.MonkeyPatch) -> None:
    """npm's typescript, installed once for every test and run (gitignored .tools/)."""
    monkeypatch.setenv("PAVED_CACHE_DIR", str(ROOT / ".tools" / "paved-cache"))
    monkeypatch.setenv("npm_config_cache", str(NPM_CACHE))


#: What a fresh node-service render cannot show yet: its chaos experiment has not run (no
#: journal) and no rollback drill has either: unverified, listed, not scored.
NO_EVIDENCE = {"evidence/chaos-journal": "unverified", "evidence/rollback-drill": "unverified"}


def statuses(repo: Path) -> dict[str, str]:
    """Each rule's status, the evidence rules (failing on every render) left out."""
    return {result.id: result.status.value for result in run_check(repo).results
            if result.id not in NO_EVIDENCE}


def test_every_rule_passes_on_a_fresh_node_service_but_evidence(node_service: Path) -> None:
    report = run_check(node_service)
    assert {result.id: result.status.value for result in report.results} == {
        rule.id: NO_EVIDENCE.get(rule.id, "pass") for rule in builtin_rules()}
    assert report.score == 100  # the unverified evidence is listed, not scored
    routes = {result.id: result.message for result in report.results}
    assert routes["observability/metrics-endpoint"] == "/metrics is served"
    # DEADLINE_HEADERS_ENABLED (python-service's setting, ported) is the third
    assert routes["isolation/safe-settings"] == "3 timeout setting(s) within safe bounds"
    assert routes["evidence/chaos-experiment"] == (
        "the chaos experiment covers timeouts, retry budget, breaker, shedding, deadlines "
        "(10 hypotheses)")


def test_a_fresh_node_service_with_its_evidence_scores_100(node_service: Path,
                                                           tmp_path: Path) -> None:
    """The journal of its own experiment (a real run: tests/templates/test_node_service.py) and a
    drill record, given with --evidence, are what the evidence rules read."""
    experiment = json.loads((node_service / "chaos" / "experiment.json").read_text())
    (tmp_path / "journal.json").write_text(journal(experiment=experiment))
    (tmp_path / "drill.json").write_text(drill())
    report = run_check(node_service, CheckOptions(evidence=tmp_path))
    assert {result.id: result.status.value for result in report.results
            if result.id.startswith("evidence/")} == {
        "evidence/chaos-experiment": "pass", "evidence/chaos-journal": "pass",
        "evidence/rollback-drill": "pass"}
    assert report.score == 100


BREAKAGES = {
    "isolation/outbound-timeouts": (
        "src/platform/transport.ts",
        "new Client(this.dial(origin), { connect: { timeout: this.connectTimeoutMs }, "
        "pipelining: 1 })",
        "new Client(this.dial(origin), { pipelining: 1 })"),
    "isolation/retries-bounded": (
        "src/platform/settings.ts", '"outboundMaxAttempts", 3,', '"outboundMaxAttempts", 5,'),
    "isolation/circuit-breaker": (
        "src/platform/settings.ts", 'flag(env, "breakerEnabled", true)',
        'flag(env, "breakerEnabled", false)'),
    "isolation/load-shedding": (
        "src/platform/settings.ts", '"maxInFlightRequests", 100,', '"maxInFlightRequests", 0,'),
    "isolation/safe-settings": (
        "src/platform/settings.ts", '"outboundConnectTimeoutSeconds", 0.5,',
        '"outboundConnectTimeoutSeconds", 30,'),
    "observability/probes": (
        "src/platform/server.ts", "  app.get(READY_PATH,", "  app.get(`${READY_PATH}-off`,"),
}


@pytest.mark.parametrize("rule", sorted(BREAKAGES))
def test_a_breakage_fails_its_rule_and_only_it(node_service: Path, tmp_path: Path,
                                               rule: str) -> None:
    repo = tmp_path / "payments-api"
    shutil.copytree(node_service, repo)
    path, old, new = BREAKAGES[rule]
    text = (repo / path).read_text()
    assert text.count(old) == 1, old
    (repo / path).write_text(text.replace(old, new))
    assert {name: status for name, status in statuses(repo).items() if status != "pass"} == {
        rule: "fail"}


def test_deadline_headers_switched_off_in_the_settings_fail_safe_settings(
        node_service: Path, tmp_path: Path) -> None:
    """python-service's DEADLINE_HEADERS_ENABLED, ported: shipped off, it fails the rule."""
    repo = tmp_path / "payments-api"
    shutil.copytree(node_service, repo)
    settings = repo / "src" / "platform" / "settings.ts"
    old = 'flag(env, "deadlineHeadersEnabled", true)'
    assert settings.read_text().count(old) == 1
    settings.write_text(settings.read_text().replace(old, old.replace("true", "false")))
    assert {name: status for name, status in statuses(repo).items() if status != "pass"} == {
        "isolation/safe-settings": "fail"}


def test_tracing_and_json_logs_removed_are_missing(node_service: Path, tmp_path: Path) -> None:
    repo = tmp_path / "payments-api"
    shutil.copytree(node_service, repo)
    (repo / "src" / "platform" / "telemetry.ts").write_text("export const TRACER_NAME = 'x';\n")
    (repo / "src" / "platform" / "logs.ts").write_text("export const logs = console;\n")
    found = statuses(repo)
    assert (found["observability/tracing"], found["observability/structured-logs"]) == (
        "fail", "fail")


def test_calls_resolve_through_imports_and_comments_are_not_code(tmp_path: Path) -> None:
    build_file_tree(tmp_path, {
        "src/a.ts": (
            "import * as u from 'undici';\n"
            "import { request as send } from 'undici';\n"
            "// a circuit breaker would go here\n"
            "export const go = () => u.request('http://x');\n"
            "export const again = () => send('http://x', { headersTimeout: 500 });\n"
            "export const plain = () => fetch('http://x', { signal: AbortSignal.timeout(1) });\n"),
        "tests/a.test.ts": "import { request } from 'undici';\nrequest('http://x');\n",
    })
    results = {result.id: result for result in run_check(tmp_path).results}
    timeouts = results["isolation/outbound-timeouts"]
    assert timeouts.status is Status.FAIL
    assert [(item.path, item.line, item.message) for item in timeouts.evidence] == [
        ("src/a.ts", 4, "undici.request(…) without a timeout")]
    assert results["isolation/circuit-breaker"].status is not Status.PASS


def test_without_node_the_typescript_is_not_read_and_its_rules_not_checked(
        node_service: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from paved.check import tscode
    from paved.errors import MissingToolError

    def missing(*args: object, **kwargs: object) -> str:
        raise MissingToolError("node", "install Node.js to run typescript-facts")

    monkeypatch.setattr(tscode.node, "run", missing)
    report = run_check(node_service)
    found = {result.id: result.status.value for result in report.results}
    assert found["isolation/outbound-timeouts"] == "not checked"
    assert found["observability/tracing"] == "not checked"
    assert {rule for rule, status in found.items() if status == "fail"} == {
        rule for rule, status in NO_EVIDENCE.items() if status == "fail"}
    unread = {item.path: item.reason for item in report.skipped}
    assert unread["src/platform/client.ts"].startswith("TypeScript not read: ")
