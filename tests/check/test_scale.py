"""Issue 24: a large repository gets the verdict a small one gets, and nothing is cut silently.

The bench (`bench/run.py check`) measures 20,000 and 100,000 files; these tests
keep repositories small enough for CI and say what each one stands for.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from paved.check import RuleResult, run_check
from paved.check.options import CheckOptions
from paved.check.rule import Severity, Status
from tests.check.fixture_repo import compliant_repo
from tests.helpers import build_file_tree, commit_all, run_cli

MAIN = "src/payments_api/main.py"
MODULE = '''"""Module {module} of package {package}."""

import httpx


def fetch_{module}(item: str) -> bytes:
    return httpx.get(f"http://svc-{package}.internal/items/{{item}}", timeout=2).content
'''


def add_packages(repo: Path, packages: int, modules: int) -> None:
    """Packages of small modules that each call httpx.get(…, timeout=2), in `libs/`, which a
    sorted walk reaches before the application in `src/` (as in the issue's repository)."""
    build_file_tree(repo, {f"libs/pkg{package:03d}/mod{module:03d}.py":
                           MODULE.format(package=package, module=module)
                           for package in range(packages) for module in range(modules)})


def verdict(report_results: tuple[RuleResult, ...]) -> dict[str, tuple[str, list[object]]]:
    """Each rule's status and, for failures, its evidence: what must not change with size."""
    return {r.id: (r.status.value, [(e.path, e.line, e.message) for e in r.evidence]
                   if r.status is not Status.PASS else [])
            for r in report_results}


@pytest.fixture
def committed(tmp_path: Path) -> Path:
    repo = compliant_repo(tmp_path / "payments-api")
    commit_all(repo, "generated")
    return repo


def test_many_extra_files_do_not_turn_into_false_failures(
        committed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The defect: paved check stopped reading after 20,000 files (MAX_FILES), never read
    the application in src/, and reported its probes as pointing at unserved paths.
    The cap is lowered here so that 60 extra files reproduce it; paved no longer caps the
    listing, so on the fixed code the setting changes nothing."""
    small = verdict(run_check(committed).results)
    add_packages(committed, packages=3, modules=20)
    commit_all(committed, "libraries")
    monkeypatch.setattr("paved.check.repo.MAX_FILES", 40, raising=False)
    big = run_check(committed)
    assert verdict(big.results) == small
    assert {r.id: r.status for r in big.results}["observability/probes"] is Status.PASS
    assert big.score == 100


def test_the_added_calls_are_read_and_a_bad_one_among_them_is_found(committed: Path) -> None:
    add_packages(committed, packages=2, modules=10)
    bad = committed / "libs/pkg001/mod009.py"
    bad.write_text(bad.read_text().replace(", timeout=2", ""))
    report = run_check(committed)
    [result] = [r for r in report.results if r.id == "isolation/outbound-timeouts"]
    assert result.status is Status.FAIL
    assert [(e.path, e.line, e.message) for e in result.evidence] == [
        ("libs/pkg001/mod009.py", 7, "httpx.get(…) without a timeout")]


def test_parallel_reading_gives_the_same_report(committed: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from paved.check import scan

    add_packages(committed, packages=2, modules=10)
    serial = run_check(committed, CheckOptions(jobs=1))
    monkeypatch.setattr(scan, "PARALLEL_FROM", 1)
    monkeypatch.setattr(scan, "BATCH", 3)
    parallel = run_check(committed, CheckOptions(jobs=2))
    assert parallel == serial


def test_a_module_without_any_word_the_rules_look_for_is_not_parsed(committed: Path) -> None:
    build_file_tree(committed, {"src/payments_api/maths.py": "def double(x):\n    return 2 * x\n",
                                "src/payments_api/broken.py": "def (:\n"})
    report = run_check(committed)
    assert report.skipped == ()  # broken.py holds nothing a rule reads: not a candidate
    assert report.score == 100


@pytest.fixture
def oversized_app(committed: Path) -> Path:
    """The application module (routes, the FastAPI app) over the size limit."""
    main = committed / MAIN
    main.write_text(main.read_text() + "# padding\n" * 600)
    build_file_tree(committed, {"pyproject.toml": "[tool.paved.check]\nmax-file-bytes = 5000\n"})
    commit_all(committed, "big app")
    return committed


def test_a_rule_that_could_not_read_the_app_is_not_checked_never_failed(
        oversized_app: Path) -> None:
    report = run_check(oversized_app)
    statuses = {r.id: r.status for r in report.results}
    reason = "larger than 5000 bytes (max-file-bytes)"
    # Every rule that reads calls, routes or the app could depend on the unread module
    # (it imports fastapi: it may call anything); none of them passes or fails on a guess.
    assert {rule: status for rule, status in statuses.items()
            if status is not Status.PASS} == {
        "isolation/outbound-timeouts": Status.NOT_CHECKED,
        "isolation/retries-bounded": Status.NOT_CHECKED,
        "isolation/circuit-breaker": Status.NOT_CHECKED,
        "isolation/load-shedding": Status.NOT_CHECKED,
        "observability/metrics-endpoint": Status.NOT_CHECKED,
        "observability/probes": Status.NOT_CHECKED,
    }
    [probes] = [r for r in report.results if r.id == "observability/probes"]
    assert probes.message == (
        f"not checked: could not read {MAIN} ({reason}); on the files read: pass, every "
        "container has liveness and readiness probes on served endpoints")
    assert [(e.path, e.line, e.message) for e in probes.evidence] == [
        (MAIN, None, f"not read: {reason}")]
    # Tracing is found elsewhere: what the unread file holds cannot undo it.
    assert statuses["observability/tracing"] is Status.PASS
    assert [(s.path, s.reason) for s in report.skipped] == [(MAIN, reason)]
    assert report.limits == {"max_file_bytes": 5000}
    assert report.failures(at_least=Severity.LOW) == ()


def test_not_checked_and_the_limit_show_in_text_and_json(oversized_app: Path) -> None:
    text = run_cli(["check", str(oversized_app)])
    assert text.exit_code == 0
    assert "NOT CHECKED  high      observability/probes" in text.stdout
    assert text.stdout.endswith(
        "not read: 1 file(s) (limit: max-file-bytes 5000)\n"
        f"  {MAIN}: larger than 5000 bytes (max-file-bytes)\n")
    data = json.loads(run_cli(["check", str(oversized_app), "--json"]).stdout)
    assert data["limits"] == {"max_file_bytes": 5000}
    assert data["skipped"] == [{"path": MAIN,
                                "reason": "larger than 5000 bytes (max-file-bytes)"}]
    probes = next(r for r in data["results"] if r["id"] == "observability/probes")
    assert probes["status"] == "not checked"
    assert [(a["area"], a["not_checked"]) for a in data["areas"]][:2] == [
        ("isolation", 4), ("observability", 2)]


def test_a_hostile_module_among_the_candidates_is_reported_not_checked(committed: Path) -> None:
    build_file_tree(committed, {"src/payments_api/extra.py": "import httpx\ndef (:\n"})
    (committed / "src/payments_api/latin1.py").write_bytes(
        "import requests\nx = 'é'\n".encode("latin-1"))
    report = run_check(committed)
    [timeouts] = [r for r in report.results if r.id == "isolation/outbound-timeouts"]
    assert timeouts.status is Status.NOT_CHECKED
    assert timeouts.message.startswith(
        "not checked: could not read src/payments_api/extra.py (not valid Python), "
        "src/payments_api/latin1.py (unreadable or not UTF-8); on the files read: pass, ")
    # A definite failure stays a failure: the unreadable module cannot undo it.
    build_file_tree(committed, {"src/payments_api/bad.py": "import requests\n"
                                                           "requests.get('http://x')\n"})
    [timeouts] = [r for r in run_check(committed).results
                  if r.id == "isolation/outbound-timeouts"]
    assert timeouts.status is Status.FAIL
