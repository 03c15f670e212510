from __future__ import annotations

import re
from pathlib import Path

import pytest

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


@pytest.mark.parametrize("on", ["on: workflow_dispatch\n", "on: [push, workflow_dispatch]\n"])
def test_a_rollback_by_hand_may_be_one_trigger_of_several(repo: Path, on: str) -> None:
    change(repo, ROLLBACK, "on:\n  workflow_dispatch:\n    inputs:\n      digest:\n"
                           "        description: digest to go back to\n", on)
    result = results(repo)["rollback/workflow"]
    assert (result.status, result.message, where(result)) == (
        Status.PASS, "a rollback workflow runs on demand", [(ROLLBACK, 1)])


def test_a_deploy_workflow_named_for_rollback_is_the_rollback_workflow(repo: Path) -> None:
    (repo / ROLLBACK).rename(repo / ".github/workflows/deploy-rollback.yml")
    found = results(repo)
    assert where(found["rollback/workflow"]) == [(".github/workflows/deploy-rollback.yml", 1)]
    assert found["rollback/automatic"].status is Status.PASS  # deploy.yml alone is the deploy
    (repo / DEPLOY).unlink()
    assert results(repo)["rollback/automatic"].status is Status.NOT_APPLICABLE


def test_a_rollback_workflow_is_known_by_its_file_name_or_its_name(repo: Path) -> None:
    change(repo, ROLLBACK, "name: rollback\n", "name: Restore the previous release\n")
    assert results(repo)["rollback/workflow"].status is Status.PASS
    (repo / ROLLBACK).rename(repo / ".github/workflows/restore.yml")
    assert results(repo)["rollback/workflow"].status is Status.FAIL


def test_without_workflows_or_manifests_nothing_is_deployed(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("print('hi')\n")
    result = results(tmp_path)["rollback/workflow"]
    assert (result.status, result.message) == (
        Status.NOT_APPLICABLE, "nothing is deployed from this repository")


def test_manifests_without_workflows_need_a_rollback_workflow_too(repo: Path) -> None:
    for name in ("ci.yml", "deploy.yml", "rollback.yml"):
        (repo / ".github/workflows" / name).unlink()
    result = results(repo)["rollback/workflow"]
    assert [(e.path, e.line, e.message) for e in result.evidence] == [
        (DEPLOYMENT, 1, "deploys, but no .github/workflows/rollback.yml")]


def test_every_build_step_of_every_job_is_named(repo: Path) -> None:
    change(repo, ROLLBACK, "      - run: make rollback", "      - uses: docker/build-push-action@"
                                                          "v6\n      - run: pip install .\n"
                                                          "      - run: make rollback")
    (repo / ROLLBACK).write_text((repo / ROLLBACK).read_text() + (
        "  verify:\n    runs-on: ubuntu-latest\n    timeout-minutes: 5\n    steps:\n"
        "      - run: pytest\n"))
    result = results(repo)["rollback/builds-nothing"]
    assert result.message == "the rollback workflow builds or tests (3 step(s))"
    assert [(e.line, e.message) for e in result.evidence] == [
        (line(repo, ROLLBACK, "build-push-action"),
         "job rollback builds or tests: 'docker/build-push-action'"),
        (line(repo, ROLLBACK, "pip install"), "job rollback builds or tests: 'pip install'"),
        (line(repo, ROLLBACK, "- run: pytest"), "job verify builds or tests: 'pytest'")]


@pytest.mark.parametrize(("minutes", "problem"), [
    ("5", None), ("4.5", None), ("5.5", "job rollback: timeout-minutes 5.5 (at most 5)"),
    ("'${{ inputs.minutes }}'", "job rollback: timeout-minutes ${{ inputs.minutes }} (at most 5)"),
])
def test_rollback_jobs_stop_within_five_minutes(repo: Path, minutes: str,
                                                problem: str | None) -> None:
    change(repo, ROLLBACK, "timeout-minutes: 5", f"timeout-minutes: {minutes}")
    result = results(repo)["rollback/timeout"]
    if problem is None:
        assert (result.status, result.message) == (
            Status.PASS, "every rollback job stops within 5 minutes")
    else:
        assert (result.message, [e.message for e in result.evidence]) == (
            "1 rollback job(s) not time-boxed", [problem])


def test_a_rollback_job_on_failure_is_automatic_rollback(repo: Path) -> None:
    change(repo, DEPLOY, "      - name: Roll back on failure\n        if: failure()\n"
                         "        run: make rollback ENV=prod\n", "")
    (repo / DEPLOY).write_text((repo / DEPLOY).read_text() + (
        "  undo:\n    needs: deploy\n    if: ${{ failure() }}\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - run: kubectl rollout undo deployment/payments-api\n"))
    result = results(repo)["rollback/automatic"]
    assert (result.status, result.message) == (Status.PASS, "deploy rolls back on failure")
    assert [(e.line, e.message) for e in result.evidence] == [(line(repo, DEPLOY, "  undo:"),
                                                               "undo")]


def test_a_failure_step_that_only_reports_is_no_rollback(repo: Path) -> None:
    change(repo, DEPLOY, "        run: make rollback ENV=prod\n", "        run: ./notify.sh\n")
    change(repo, DEPLOY, "      - name: Roll back on failure\n", "      - name: Tell the team\n")
    assert results(repo)["rollback/automatic"].status is Status.FAIL


def test_an_image_pinned_through_kustomize_by_its_full_name_is_pinned(repo: Path) -> None:
    change(repo, OVERLAY, "  - name: payments-api\n", "  - name: registry.test:5000/acme/api\n")
    change(repo, DEPLOYMENT, "image: payments-api", "image: registry.test:5000/acme/api:1.2")
    assert results(repo)["rollback/image-digest"].status is Status.PASS
    change(repo, DEPLOYMENT, "image: registry.test:5000/acme/api:1.2", "imagePullPolicy: Always")
    result = results(repo)["rollback/image-digest"]
    assert [e.message for e in result.evidence] == ["image (none) is not pinned by digest"]


def test_a_deploy_workflow_without_jobs_is_pointed_at_its_first_line(repo: Path) -> None:
    (repo / DEPLOY).write_text("name: deploy\non: push\n")
    result = results(repo)["rollback/automatic"]
    assert [(e.path, e.line) for e in result.evidence] == [(DEPLOY, 1)]


def test_only_the_slow_deployment_is_pointed_at(repo: Path) -> None:
    (repo / "deploy/base/a-worker.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: a-worker\nspec:\n"
        "  progressDeadlineSeconds: 60\n  template:\n    spec:\n      containers:\n"
        "        - name: worker\n          image: worker\n")
    change(repo, DEPLOYMENT, "progressDeadlineSeconds: 120", "progressDeadlineSeconds: 600")
    result = results(repo)["rollback/worst-case-time"]
    assert where(result) == [(DEPLOYMENT, line(repo, DEPLOYMENT, "progressDeadlineSeconds"))]


def test_a_deployment_without_metadata_cannot_be_estimated(repo: Path) -> None:
    change(repo, DEPLOYMENT, "metadata:\n  name: payments-api\n", "")
    result = results(repo)["rollback/worst-case-time"]
    assert (result.status, result.message) == (
        Status.NOT_APPLICABLE, "cannot estimate a rollback: ?: 'metadata'")
