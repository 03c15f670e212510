from __future__ import annotations

from pathlib import Path

from paved.check.rule import Status
from tests.check.fixture_repo import change, results, where

CI = ".github/workflows/ci.yml"


def test_no_owner_anywhere_fails(repo: Path) -> None:
    change(repo, "catalog-info.yaml", "  owner: team-payments\n", "")
    (repo / "CODEOWNERS").unlink()
    result = results(repo)["ownership/owner"]
    assert result.status is Status.FAIL
    assert where(result) == [("catalog-info.yaml", 1)]


def test_codeowners_alone_names_an_owner(repo: Path) -> None:
    (repo / "catalog-info.yaml").unlink()
    result = results(repo)["ownership/owner"]
    assert result.status is Status.PASS
    assert where(result) == [("CODEOWNERS", 1)]


def test_an_empty_runbook_fails(repo: Path) -> None:
    (repo / "docs/runbook.md").write_text("")
    result = results(repo)["ownership/runbook"]
    assert result.status is Status.FAIL
    assert result.message == "docs/runbook.md covers 0 failure mode(s), fewer than 5"
    assert where(result) == [("docs/runbook.md", 1)]


def test_a_runbook_with_four_failure_modes_fails(repo: Path) -> None:
    change(repo, "docs/runbook.md", "## 5. Bad configuration\n", "")
    (repo / "docs/runbook.md").write_text(
        (repo / "docs/runbook.md").read_text() + "\n## Contacts\nteam-payments\n")
    assert results(repo)["ownership/runbook"].message == (
        "docs/runbook.md covers 4 failure mode(s), fewer than 5")


def test_a_missing_postmortem_template_fails(repo: Path) -> None:
    (repo / "docs/postmortem.md").unlink()
    result = results(repo)["ownership/postmortem-template"]
    assert result.status is Status.FAIL
    assert where(result) == [("docs/postmortem.md", None)]


def test_ci_without_tests_fails(repo: Path) -> None:
    change(repo, CI, "      - run: make test\n", "")
    result = results(repo)["ownership/tests-in-ci"]
    assert result.status is Status.FAIL
    assert where(result) == [(CI, 1)]
