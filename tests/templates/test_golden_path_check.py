"""A freshly generated golden-path repo passes every rule of `paved check`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from paved.check import CheckReport, builtin_rules, formats, run_check, scan
from paved.check.options import CheckOptions
from paved.check.rule import Severity, Status
from tests.check.fixture_repo import drill, journal
from tests.check.test_scale import add_packages
from tests.helpers import commit_all


def verdict(report: CheckReport) -> dict[str, str]:
    return {result.id: result.status.value for result in report.results}


def test_a_fresh_render_scores_100_and_lists_the_evidence_it_cannot_have_yet(
        rendered_service: Path) -> None:
    """Issue 19 (100 on a fresh render) with issue 20 (missing evidence is a finding naming
    the command that produces it): unverified, listed, not scored."""
    report = run_check(rendered_service)
    assert report.paved and report.score == 100
    statuses = {result.id: result.status for result in report.results}
    assert set(statuses) == {rule.id for rule in builtin_rules()}
    # Its chaos experiment covers every property; nothing has run it or drilled a rollback yet.
    assert statuses["evidence/chaos-experiment"] is Status.PASS
    assert {rule: status for rule, status in statuses.items() if status is not Status.PASS} == {
        "evidence/chaos-journal": Status.UNVERIFIED, "evidence/rollback-drill": Status.UNVERIFIED}
    (area,) = [area for area in report.areas if area.area == "evidence"]
    assert (area.score, area.passed, area.failed, area.unverified) == (100, 1, 0, 2)
    assert report.failures(Severity.LOW) == ()
    text = formats.text(report).splitlines()
    start = text.index(formats.TO_VERIFY)
    assert text[start + 1:start + 5] == [
        "  evidence/chaos-journal: no chaos journal: failure tolerance is configured, not "
        "verified",
        "    chaos/journal.json: not found: run `make chaos` (it writes chaos/journal.json) and "
        "pass `--evidence chaos`, or download the CI job's artifact (`gh run download --name "
        "chaos-journal --dir evidence`) and pass `--evidence evidence`",
        "  evidence/rollback-drill: no rollback drill measured: only the computed estimate "
        "(rollback/worst-case-time) stands",
        "    deploy/drill.json: not found: run deploy/scripts/drill.sh on a throwaway cluster "
        "(the rollback-drill CI job, answer rollback_drill: true) and pass the folder of its "
        "drill.json with `--evidence DIR`"]
    assert "UNVERIFIED  medium    evidence/chaos-journal" in formats.text(report)


def test_a_fresh_render_fails_unverified_evidence_when_evidence_is_required(
        rendered_service: Path) -> None:
    report = run_check(rendered_service, CheckOptions(require_evidence=True))
    assert [(r.id, r.status, r.message) for r in report.failures(Severity.MEDIUM)] == [
        ("evidence/chaos-journal", Status.FAIL, "no chaos journal: failure tolerance is "
         "configured, not verified (evidence required)"),
        ("evidence/rollback-drill", Status.FAIL, "no rollback drill measured: only the computed "
         "estimate (rollback/worst-case-time) stands (evidence required)")]
    # Scored now: two medium rules (weight 2 each) fail among those that applied.
    weights = sum(r.severity.weight for r in report.results
                  if r.status in (Status.PASS, Status.FAIL))
    assert report.score == round(100 * (weights - 4) / weights) < 100


def test_a_passed_journal_verifies_and_a_failed_one_is_a_scored_failure(
        rendered_service: Path, tmp_path: Path) -> None:
    experiment = json.loads((rendered_service / "chaos" / "experiment.json").read_text())
    (tmp_path / "journal.json").write_text(journal(experiment=experiment))
    report = run_check(rendered_service, CheckOptions(evidence=tmp_path))
    found = {result.id: result for result in report.results}
    assert found["evidence/chaos-journal"].status is Status.PASS
    assert (report.score, found["evidence/rollback-drill"].status) == (100, Status.UNVERIFIED)
    (tmp_path / "journal.json").write_text(journal("failed", experiment=experiment,
                                                   failed=("breaker: opens under 100 % 503s",)))
    report = run_check(rendered_service, CheckOptions(evidence=tmp_path))
    failed = {result.id: result for result in report.results}["evidence/chaos-journal"]
    assert (failed.status, [e.message for e in failed.evidence]) == (
        Status.FAIL, ["rejected: breaker: opens under 100 % 503s"])
    assert report.score is not None and report.score < 100
    assert report.failures(Severity.MEDIUM) == (failed,)


def test_a_fresh_render_with_its_evidence_scores_100(rendered_service: Path,
                                                     tmp_path: Path) -> None:
    experiment = json.loads((rendered_service / "chaos" / "experiment.json").read_text())
    (tmp_path / "journal.json").write_text(journal(experiment=experiment))
    (tmp_path / "drill.json").write_text(drill())
    report = run_check(rendered_service, CheckOptions(evidence=tmp_path))
    assert report.score == 100


def test_the_prefilter_changes_nothing_on_a_fresh_render(
        rendered_service: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same report when every Python file is parsed, not only the candidates."""
    report = run_check(rendered_service)
    monkeypatch.setattr(scan, "candidates", lambda root, paths, **_: (list(paths), True))
    assert run_check(rendered_service) == report


def test_a_big_golden_path_repo_gets_the_fresh_repos_verdict(rendered_service: Path,
                                                              tmp_path: Path) -> None:
    """Issue 24 on the real golden path: packages of small modules calling httpx with a
    timeout change no verdict (the bench measures 20,000 of them)."""
    repo = tmp_path / "big"
    shutil.copytree(rendered_service, repo)
    commit_all(repo, "generated")
    fresh = run_check(repo)
    add_packages(repo, packages=4, modules=25)
    commit_all(repo, "libraries")
    big = run_check(repo, CheckOptions(jobs=2))
    assert verdict(big) == verdict(fresh)
    assert big.score == fresh.score and big.skipped == ()
