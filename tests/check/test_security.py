from __future__ import annotations

from pathlib import Path

import pytest

from paved.check import run_check
from paved.check.rule import Status
from paved.delivery.zizmor import find, version
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


@pytest.mark.parametrize(("user", "problem"), [
    ("app", "USER app is a name: Kubernetes runAsNonRoot can only verify a numeric uid"),
    ("app:10001", "USER app:10001 is a name: Kubernetes runAsNonRoot can only verify a numeric "
                  "uid"),
    ("0:10001", "USER 0:10001 is root"),
    ("ROOT", "USER ROOT is root"),
    ("10001:app", None),  # a numeric uid in a named group
    ("10001:0", None),  # a numeric uid in the root group
])
def test_the_final_user_must_be_a_numeric_uid_other_than_root(repo: Path, user: str,
                                                              problem: str | None) -> None:
    change(repo, "Dockerfile", "USER 10001:10001", f"USER {user}")
    result = results(repo)["security/non-root-image"]
    if problem is None:
        assert result.status is Status.PASS
    else:
        assert [(e.path, e.line, e.message) for e in result.evidence] == [
            ("Dockerfile", line(repo, "Dockerfile", f"USER {user}"), problem)]


def test_a_dockerfile_without_from_is_pointed_at_its_first_line(repo: Path) -> None:
    (repo / "Dockerfile").write_text("# built elsewhere\nRUN make\n")
    result = results(repo)["security/non-root-image"]
    assert [(e.path, e.line, e.message) for e in result.evidence] == [
        ("Dockerfile", 1, "the final stage has no USER: the container runs as root")]


def zizmor_absent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("paved.delivery.zizmor.find", lambda: None)


ZIZMOR = f"zizmor {version(find() or 'zizmor')}"


def test_write_permissions_for_the_whole_workflow_fail(repo: Path) -> None:
    change(repo, CI, "  contents: read", "  contents: write")
    result = results(repo)["security/workflow-permissions"]
    assert (result.status, result.message) == (
        Status.FAIL, f"1 excessive workflow permission(s) ({ZIZMOR})")
    assert [(e.path, e.line, e.message) for e in result.evidence] == [
        (CI, line(repo, CI, "contents: write"), "contents: write is overly broad at the "
         "workflow level [zizmor excessive-permissions]")]


def test_a_job_without_permissions_fails(repo: Path) -> None:
    change(repo, CI, "permissions:\n  contents: read\n", "")
    result = results(repo)["security/workflow-permissions"]
    assert result.status is Status.FAIL
    assert [(e.line, e.message) for e in result.evidence] == [
        (1, "default permissions used due to no permissions: block "
            "[zizmor excessive-permissions]"),
        (line(repo, CI, "  test:"), "default permissions used due to no permissions: block "
                                    "[zizmor excessive-permissions]")]


def test_an_action_by_tag_fails(repo: Path) -> None:
    change(repo, CI, f"actions/checkout@{SHA}", "actions/checkout@v4")
    result = results(repo)["security/actions-pinned"]
    assert (result.status, result.message) == (
        Status.FAIL, f"1 action(s) or image(s) not pinned ({ZIZMOR})")
    assert [(e.path, e.line, e.message) for e in result.evidence] == [
        (CI, line(repo, CI, "checkout@v4"), "actions/checkout@v4: action is not pinned to a "
         "hash (required by blanket policy) [zizmor unpinned-uses]")]


def test_an_image_by_tag_fails(repo: Path) -> None:
    change(repo, CI, "    steps:\n", "    steps:\n      - uses: docker://alpine:3.20\n")
    result = results(repo)["security/actions-pinned"]
    assert result.status is Status.FAIL
    assert [(e.line, e.message) for e in result.evidence] == [
        (line(repo, CI, "docker://alpine"), "docker://alpine:3.20: container image is not "
         "pinned to a SHA256 hash [zizmor unpinned-images]")]


def test_a_compliant_repo_passes_zizmor_and_says_so(repo: Path) -> None:
    found = results(repo)
    assert found["security/actions-pinned"].message == \
        f"every action and image is pinned ({ZIZMOR})"
    assert found["security/workflow-permissions"].message == \
        f"no excessive workflow permissions ({ZIZMOR})"


def test_zizmor_ignore_comments_are_honoured(repo: Path) -> None:
    change(repo, CI, f"actions/checkout@{SHA} # v4.2.2",
           "actions/checkout@v4 # zizmor: ignore[unpinned-uses]")
    assert results(repo)["security/actions-pinned"].status is Status.PASS


def test_without_zizmor_the_built_in_checks_run_and_say_so(
        repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    zizmor_absent(monkeypatch)
    change(repo, CI, f"actions/checkout@{SHA}", "actions/checkout@v4")
    why = " (paved's built-in check: zizmor is not installed (next to paved or on PATH))"
    report = run_check(repo)
    found = {result.id: result for result in report.results}
    assert found["security/actions-pinned"].message == \
        "1 action(s) not pinned by commit SHA" + why
    assert [(e.line, e.message) for e in found["security/actions-pinned"].evidence] == [
        (line(repo, CI, "checkout@v4"), "actions/checkout@v4 is not pinned by commit SHA")]
    assert found["security/workflow-permissions"].message == \
        "every workflow token is least-privilege" + why
    assert report.notes == (
        "zizmor is not installed (next to paved or on PATH): security/actions-pinned and "
        "security/workflow-permissions used paved's built-in checks; install zizmor "
        "(pip install zizmor) for its findings",)


def test_without_zizmor_a_job_without_permissions_fails(
        repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    zizmor_absent(monkeypatch)
    change(repo, CI, "permissions:\n  contents: read\n", "")
    result = results(repo)["security/workflow-permissions"]
    assert where(result) == [(CI, line(repo, CI, "  test:"))]


def test_pod_security_violations_are_each_named_where_they_are(repo: Path) -> None:
    change(repo, DEPLOYMENT, "            allowPrivilegeEscalation: false\n", "")
    change(repo, DEPLOYMENT, "      securityContext:\n        runAsNonRoot: true\n",
           "      hostNetwork: true\n      securityContext:\n        runAsNonRoot: true\n")
    result = results(repo)["security/pod-security-restricted"]
    assert (result.status, result.message) == (Status.FAIL, "2 Pod Security violation(s)")
    assert [(e.path, e.line, e.message) for e in result.evidence] == [
        (DEPLOYMENT, line(repo, DEPLOYMENT, "hostNetwork"), "Deployment/payments-api "
         "hostNetwork must not be true (baseline: Host Namespaces)"),
        (DEPLOYMENT, line(repo, DEPLOYMENT, " " * 10 + "securityContext:"),
         "Deployment/payments-api container app: allowPrivilegeEscalation must be false "
         "(restricted: Privilege Escalation)")]


def test_a_container_without_a_security_context_fails_at_the_container(repo: Path) -> None:
    change(repo, DEPLOYMENT, "          securityContext:\n            allowPrivilegeEscalation: "
                             "false\n            readOnlyRootFilesystem: true\n            "
                             "capabilities:\n              drop: [ALL]\n", "")
    result = results(repo)["security/pod-security-restricted"]
    app = line(repo, DEPLOYMENT, "- name: app")
    assert [(e.line, e.message) for e in result.evidence] == [
        (app, "Deployment/payments-api container app: capabilities must drop ALL (restricted: "
              "Capabilities)"),
        (app, "Deployment/payments-api container app: allowPrivilegeEscalation must be false "
              "(restricted: Privilege Escalation)"),
        (app, "Deployment/payments-api container app: readOnlyRootFilesystem must be true "
              "(mount an emptyDir where it writes) (golden-path: Read-only root filesystem)")]


def test_without_workloads_pod_security_does_not_apply(repo: Path) -> None:
    for name in ("deployment.yaml", "hpa.yaml", "kustomization.yaml"):
        (repo / "deploy/base" / name).unlink()
    result = results(repo)["security/pod-security-restricted"]
    assert (result.status, result.message) == (Status.NOT_APPLICABLE, "no workload manifests")


def test_instructions_after_user_and_a_bare_user_keep_the_user(repo: Path) -> None:
    change(repo, "Dockerfile", "USER 10001:10001\n", "USER 10001:10001\nWORKDIR /app\nUSER\n")
    result = results(repo)["security/non-root-image"]
    assert (result.status, result.message) == (
        Status.PASS, "every image runs as a numeric non-root user")


@pytest.mark.parametrize(("permissions", "shown"), [
    ("permissions: write-all\n", "write-all"),
    ("permissions:\n  contents: read\n  packages: write\n", "contents: read, packages: write"),
])
def test_without_zizmor_workflow_wide_writes_fail(
        repo: Path, monkeypatch: pytest.MonkeyPatch, permissions: str, shown: str) -> None:
    zizmor_absent(monkeypatch)
    change(repo, CI, "permissions:\n  contents: read\n", permissions)
    result = results(repo)["security/workflow-permissions"]
    assert result.message.startswith("1 workflow permission problem(s) (paved's built-in")
    assert [(e.line, e.message) for e in result.evidence] == [
        (line(repo, CI, "permissions:"), f"workflow-wide permissions grant write: {shown}")]


def test_without_zizmor_read_permissions_pass(repo: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    zizmor_absent(monkeypatch)
    change(repo, CI, "permissions:\n  contents: read\n", "permissions: read-all\n")
    assert results(repo)["security/workflow-permissions"].status is Status.PASS
    change(repo, CI, "permissions: read-all\n", "permissions:\n  contents: read\n"
                                                 "  id-token: none\n")
    assert results(repo)["security/workflow-permissions"].status is Status.PASS


def test_without_zizmor_reusable_workflows_local_actions_and_images_are_checked(
        repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    zizmor_absent(monkeypatch)
    change(repo, CI, "jobs:\n", "jobs:\n  shared:\n    uses: acme/flows/.github/workflows/"
                                "build.yml@main\n  pinned:\n    uses: acme/flows/.github/"
                                f"workflows/build.yml@{SHA}\n")
    change(repo, CI, "    steps:\n", "    steps:\n      - uses: ./.github/actions/setup\n"
                                    "      - uses: docker://alpine@sha256:" + "b" * 64 + "\n"
                                    "      - uses: docker://alpine:3.20\n")
    result = results(repo)["security/actions-pinned"]
    assert [(e.line, e.message) for e in result.evidence] == [
        (line(repo, CI, "build.yml@main"),
         "job shared uses acme/flows/.github/workflows/build.yml@main by tag or branch"),
        (line(repo, CI, "alpine:3.20"), "docker://alpine:3.20 is not pinned by commit SHA")]


@pytest.mark.parametrize("length", [120, 121])
def test_zizmor_shows_what_it_found_up_to_120_characters(repo: Path, length: int) -> None:
    uses = "acme/tools/" + "x" * (length - len("acme/tools/@v1")) + "@v1"
    assert len(uses) == length
    change(repo, CI, "    steps:\n", f"    steps:\n      - uses: {uses}\n")
    [evidence] = results(repo)["security/actions-pinned"].evidence
    shown = f"{uses}: " if length <= 120 else ""
    assert evidence.message == (f"{shown}action is not pinned to a hash (required by blanket "
                                "policy) [zizmor unpinned-uses]")
