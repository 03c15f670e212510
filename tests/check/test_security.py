from __future__ import annotations

from pathlib import Path

from paved.check.rule import Status
from tests.check.fixture_repo import SHA, change, line, results, where

DEPLOYMENT = "deploy/base/deployment.yaml"
CI = ".github/workflows/ci.yml"


def test_an_image_running_as_root_fails(repo: Path) -> None:
    change(repo, "Dockerfile", "USER 10001:10001", "USER root")
    result = results(repo)["security/non-root-image"]
    assert result.status is Status.FAIL
    assert where(result) == [("Dockerfile", line(repo, "Dockerfile", "USER root"))]


def test_a_final_stage_without_user_fails_at_its_from(repo: Path) -> None:
    change(repo, "Dockerfile", "USER 10001:10001\n", "")
    change(repo, "Dockerfile", "RUN pip wheel", "USER 10001\nRUN pip wheel")
    result = results(repo)["security/non-root-image"]
    assert result.status is Status.FAIL
    assert where(result) == [("Dockerfile", 5)]


def test_a_named_user_fails(repo: Path) -> None:
    change(repo, "Dockerfile", "USER 10001:10001", "USER app")
    assert results(repo)["security/non-root-image"].status is Status.FAIL


def test_write_permissions_for_the_whole_workflow_fail(repo: Path) -> None:
    change(repo, CI, "  contents: read", "  contents: write")
    result = results(repo)["security/workflow-permissions"]
    assert result.status is Status.FAIL
    assert where(result) == [(CI, line(repo, CI, "permissions:"))]


def test_a_job_without_permissions_fails(repo: Path) -> None:
    change(repo, CI, "permissions:\n  contents: read\n", "")
    result = results(repo)["security/workflow-permissions"]
    assert result.status is Status.FAIL
    assert where(result) == [(CI, line(repo, CI, "  test:"))]


def test_an_action_by_tag_fails(repo: Path) -> None:
    change(repo, CI, f"actions/checkout@{SHA}", "actions/checkout@v4")
    result = results(repo)["security/actions-pinned"]
    assert result.status is Status.FAIL
    assert [(e.path, e.line, e.message) for e in result.evidence] == [
        (CI, line(repo, CI, "checkout@v4"), "actions/checkout@v4 is not pinned by commit SHA")]
