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
        "ownership": 100, "currency": 100}
    assert report.paved and report.golden_path == "python-service"


def test_a_freshly_generated_repo_passes_what_its_layers_already_ship(tmp_path: Path) -> None:
    from paved.create import create_service

    dest = tmp_path / "payments-api"
    create_service("payments-api", dest=dest, data={"owner": "team-payments"}, use_git=False)
    found = results(dest)
    assert Status.ERROR not in {r.status for r in found.values()}
    for rule_id in ("ownership/owner", "ownership/runbook", "ownership/postmortem-template",
                    "ownership/tests-in-ci", "currency/golden-path-version",
                    "security/workflow-permissions", "security/actions-pinned"):
        assert found[rule_id].status is Status.PASS, (rule_id, found[rule_id].message)
