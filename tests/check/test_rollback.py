from __future__ import annotations

import re
from pathlib import Path

from paved.check.rule import Status
from tests.check.fixture_repo import change, line, results, where

ROLLBACK = ".github/workflows/rollback.yml"
DEPLOY = ".github/workflows/deploy.yml"
DEPLOYMENT = "deploy/base/deployment.yaml"
OVERLAY = "deploy/overlays/prod/kustomization.yaml"


def test_a_missing_rollback_workflow_fails(repo: Path) -> None:
    (repo / ROLLBACK).unlink()
    found = results(repo)
    assert found["rollback/workflow"].status is Status.FAIL
    assert where(found["rollback/workflow"]) == [(DEPLOY, 1)]
    assert found["rollback/builds-nothing"].status is Status.NOT_APPLICABLE
    assert found["rollback/timeout"].status is Status.NOT_APPLICABLE


def test_a_rollback_workflow_that_cannot_be_run_by_hand_fails(repo: Path) -> None:
    change(repo, ROLLBACK, "  workflow_dispatch:\n    inputs:\n      digest:\n"
                           "        description: digest to go back to\n",
           "  push:\n")
    result = results(repo)["rollback/workflow"]
    assert result.status is Status.FAIL
    assert where(result) == [(ROLLBACK, line(repo, ROLLBACK, "on:"))]


def test_a_build_step_in_the_rollback_fails_at_the_step(repo: Path) -> None:
    change(repo, ROLLBACK, "      - run: make rollback", "      - run: docker build -t app .\n"
                                                          "      - run: make rollback")
    result = results(repo)["rollback/builds-nothing"]
    assert result.status is Status.FAIL
    assert where(result) == [(ROLLBACK, line(repo, ROLLBACK, "docker build"))]


def test_a_test_step_in_the_rollback_fails(repo: Path) -> None:
    change(repo, ROLLBACK, "      - run: make rollback", "      - run: make test\n"
                                                          "      - run: make rollback")
    assert results(repo)["rollback/builds-nothing"].status is Status.FAIL


def test_a_long_rollback_timeout_fails(repo: Path) -> None:
    change(repo, ROLLBACK, "timeout-minutes: 5", "timeout-minutes: 30")
    result = results(repo)["rollback/timeout"]
    assert result.status is Status.FAIL
    assert where(result) == [(ROLLBACK, line(repo, ROLLBACK, "timeout-minutes"))]


def test_a_missing_rollback_timeout_fails_at_the_job(repo: Path) -> None:
    change(repo, ROLLBACK, "    timeout-minutes: 5\n", "")
    result = results(repo)["rollback/timeout"]
    assert result.status is Status.FAIL
    assert where(result) == [(ROLLBACK, line(repo, ROLLBACK, "  rollback:"))]


def test_deploy_without_automatic_rollback_fails(repo: Path) -> None:
    change(repo, DEPLOY, "        if: failure()\n", "")
    result = results(repo)["rollback/automatic"]
    assert result.status is Status.FAIL
    assert where(result) == [(DEPLOY, line(repo, DEPLOY, "jobs:"))]


def test_a_long_progress_deadline_makes_rollback_too_slow(repo: Path) -> None:
    change(repo, DEPLOYMENT, "progressDeadlineSeconds: 120", "progressDeadlineSeconds: 600")
    result = results(repo)["rollback/worst-case-time"]
    assert result.status is Status.FAIL
    # The figure itself is delivery.rollout's (tests/delivery/test_rollout.py); here: over 300 s.
    seconds = re.fullmatch(r"computed: worst case (\d+) s for Deployment payments-api "
                           r"\(progressDeadlineSeconds 600, .*\)", result.message)
    assert seconds is not None and int(seconds.group(1)) > 300
    assert where(result) == [(DEPLOYMENT, line(repo, DEPLOYMENT, "progressDeadlineSeconds"))]


def test_an_overlay_patch_is_taken_into_account(repo: Path) -> None:
    (repo / "deploy/overlays/prod/patch.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: payments-api\n"
        "spec:\n  progressDeadlineSeconds: 400\n")
    result = results(repo)["rollback/worst-case-time"]
    assert result.status is Status.FAIL
    assert ("deploy/overlays/prod/patch.yaml", 6) in where(result)


def test_an_image_by_tag_fails(repo: Path) -> None:
    change(repo, OVERLAY, f"    digest: sha256:{'a' * 64}", "    newTag: '1.2.3'")
    result = results(repo)["rollback/image-digest"]
    assert result.status is Status.FAIL
    assert where(result) == [(OVERLAY, line(repo, OVERLAY, "newTag")),
                             (DEPLOYMENT, line(repo, DEPLOYMENT, "image:"))]


def test_kustomize_replicas_raise_the_wave_count(repo: Path) -> None:
    overlay = (repo / OVERLAY).read_text()
    (repo / OVERLAY).write_text(overlay + "replicas:\n  - name: payments-api\n    count: 40\n")
    result = results(repo)["rollback/worst-case-time"]
    assert result.status is Status.FAIL
    assert "20 wave(s) of " in result.message and " for 40 replica(s))" in result.message
