"""A freshly generated golden-path repo passes every rule of `paved check`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from paved.check import CheckReport, builtin_rules, run_check, scan
from paved.check.options import CheckOptions
from paved.check.rule import Status
from tests.check.fixture_repo import drill, journal
from tests.check.test_scale import add_packages
from tests.helpers import commit_all


def verdict(report: CheckReport) -> dict[str, str]:
    return {result.id: result.status.value for result in report.results}


def test_every_rule_passes_on_a_fresh_render_but_evidence_it_cannot_have_yet(
        rendered_service: Path) -> None:
    report = run_check(rendered_service)
    assert report.paved
    statuses = {result.id: result.status for result in report.results}
    assert set(statuses) == {rule.id for rule in builtin_rules()}
    # Its chaos experiment covers every property; nothing has run it or drilled a rollback yet.
    assert statuses["evidence/chaos-experiment"] is Status.PASS
    assert {rule: status for rule, status in statuses.items() if status is not Status.PASS} == {
        "evidence/chaos-journal": Status.FAIL, "evidence/rollback-drill": Status.FAIL}


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
