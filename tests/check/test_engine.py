from __future__ import annotations

from pathlib import Path

from paved.check import builtin_rules, run_check
from paved.check.rule import Status
from tests.check.fixture_repo import results


def test_the_compliant_repo_passes_every_rule(repo: Path) -> None:
    found = results(repo)
    assert {rule_id: (r.status, r.message) for rule_id, r in found.items()
            if r.status is not Status.PASS} == {}
    assert set(found) == {rule.id for rule in builtin_rules()}


def test_the_compliant_repo_scores_100_in_every_area(repo: Path) -> None:
    report = run_check(repo)
    assert report.score == 100
    assert {area.area: area.score for area in report.areas} == {
        "isolation": 100, "observability": 100, "rollback": 100, "security": 100,
        "ownership": 100, "currency": 100, "evidence": 100}
    assert report.paved and report.golden_path == "python-service"
