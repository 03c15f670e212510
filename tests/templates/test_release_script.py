"""deploy/scripts/release.sh, run against a stand-in kubectl (no cluster here)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

A = "sha256:" + "a" * 64
B = "sha256:" + "b" * 64
C = "sha256:" + "c" * 64

# Answers the calls release.sh makes; `kubectl kustomize` is the real one.
FAKE_KUBECTL = r"""#!/usr/bin/env bash
echo "$*" >>"$FAKE_DIR/calls"
if [ -n "${KUBE_DOWN:-}" ] && [[ "$*" != kustomize* ]]; then
  echo "The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?" >&2
  exit 1
fi
case "$*" in
  kustomize*) exec "$REAL_KUBECTL" "$@" ;;
  "config current-context") echo fake-context ;;
  *"get deployment"*) echo "ghcr.io/team-payments/payments-api@$RUNNING" ;;
  *"get configmap --selector"*) printf '%b' "$RECORDS" ;;
  *"get configmap payments-api-release-"*) exit 1 ;;
  *apply*) if [ "${!#}" = - ]; then cat; else cat "${!#}"; fi >"$FAKE_DIR/applied.yaml" ;;
  *"rollout status"*) exit "${ROLLOUT_EXIT:-0}" ;;
  *label*) ;;
  *) echo "unexpected: $*" >&2; exit 9 ;;
esac
"""


def run_release(project: Path, tmp_path: Path, *args: str, running: str = A,
                records: str = "", extra_env: dict[str, str] | None = None
                ) -> subprocess.CompletedProcess[str]:
    real = shutil.which("kubectl")
    if real is None:
        pytest.fail("kubectl is needed for `kubectl kustomize`")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    fake = bin_dir / "kubectl"
    fake.write_text(FAKE_KUBECTL)
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "REAL_KUBECTL": real,
           "FAKE_DIR": str(tmp_path), "RUNNING": running, "RECORDS": records,
           "GITHUB_REPOSITORY_OWNER": "team-payments", **(extra_env or {})}
    return subprocess.run([str(project / "deploy/scripts/release.sh"), *args], env=env,
                          capture_output=True, text=True, check=False)


def test_previous_is_the_newest_recorded_release_not_running(
        rendered_service: Path, tmp_path: Path) -> None:
    records = (f"2026-01-03T00:00:00Z {A} r-a\\n2026-01-01T00:00:00Z {C} r-c\\n"
               f"2026-01-02T00:00:00Z {B} r-b\\n")
    done = run_release(rendered_service, tmp_path, "previous", "prod", records=records)
    assert (done.returncode, done.stdout) == (0, f"{B}\n"), done.stderr


def test_previous_without_a_record_says_what_to_do(rendered_service: Path,
                                                   tmp_path: Path) -> None:
    done = run_release(rendered_service, tmp_path, "previous", "prod")
    assert done.returncode == 1
    assert done.stderr == ("release.sh: no earlier release of payments-api is recorded in prod: "
                           "name one (TO=sha256:... or the digest input)\n")


def test_previous_when_the_cluster_is_unreachable_blames_kubectl_not_the_record(
        rendered_service: Path, tmp_path: Path) -> None:
    done = run_release(rendered_service, tmp_path, "previous", "prod",
                       extra_env={"KUBE_DOWN": "1"})
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == (
        "release.sh: cannot read the release record of payments-api in prod: kubectl failed "
        "(is the cluster reachable, and may this identity list ConfigMaps in namespace "
        "payments-api?)")
    assert "connection to the server 127.0.0.1:6443 was refused" in done.stderr
    assert "no earlier release" not in done.stderr


@pytest.mark.parametrize(("env", "origin", "image"), [
    ({"GITHUB_REPOSITORY_OWNER": "Acme-Corp"}, None, "ghcr.io/acme-corp/payments-api"),
    ({"GITHUB_REPOSITORY_OWNER": ""}, "git@github.com:Payments-Org/payments-api.git",
     "ghcr.io/payments-org/payments-api"),
    ({"GITHUB_REPOSITORY_OWNER": ""}, "https://github.com/acme/svc", "ghcr.io/acme/payments-api"),
    ({"GITHUB_REPOSITORY_OWNER": "acme", "IMAGE": "registry.example.com/x/y"}, None,
     "registry.example.com/x/y"),
])
def test_the_image_is_pushed_under_the_repository_owner(
        rendered_service: Path, tmp_path: Path, env: dict[str, str], origin: str | None,
        image: str) -> None:
    project = tmp_path / "project"
    shutil.copytree(rendered_service, project)
    subprocess.run(["git", "init", "--quiet", str(project)], check=True)
    if origin:
        subprocess.run(["git", "-C", str(project), "remote", "add", "origin", origin], check=True)
    done = run_release(project, tmp_path, "image", extra_env=env)
    assert (done.returncode, done.stdout, done.stderr) == (0, f"{image}\n", "")


def test_without_an_owner_the_image_repository_is_asked_for(
        rendered_service: Path, tmp_path: Path) -> None:
    done = run_release(rendered_service, tmp_path, "image",
                       extra_env={"GITHUB_REPOSITORY_OWNER": ""})
    assert (done.returncode, done.stderr) == (1, (
        "release.sh: no image repository: set IMAGE, or run in GitHub Actions or a clone whose "
        "origin is on github.com\n"))


def test_rollback_to_a_chosen_digest_applies_the_overlay_with_it(
        rendered_service: Path, tmp_path: Path) -> None:
    done = run_release(rendered_service, tmp_path, "rollback", "prod", C)
    assert done.returncode == 0, done.stderr
    applied = (tmp_path / "applied.yaml").read_text()
    assert f"image: ghcr.io/team-payments/payments-api@{C}" in applied
    assert "namespace: payments-api" in applied
    calls = (tmp_path / "calls").read_text()
    assert "--namespace payments-api rollout status deployment/payments-api --timeout 150s" in calls
    assert done.stderr.endswith("release.sh: rolled back: payments-api in prod runs "
                                f"{C}\n")


def test_a_failed_rollout_fails_the_deploy(rendered_service: Path, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROLLOUT_EXIT", "1")
    done = run_release(rendered_service, tmp_path, "deploy", "staging", B)
    assert done.returncode == 1


@pytest.mark.parametrize(("args", "message"), [
    (("deploy", "prod", "latest"), "'latest' is not an image digest (sha256: and 64 hex digits)"),
    (("rollback", "qa"), "unknown environment 'qa': use staging or prod"),
    (("deploy", "prod"), "usage: release.sh deploy ENV DIGEST"),
])
def test_bad_arguments_get_one_line(rendered_service: Path, tmp_path: Path,
                                    args: tuple[str, ...], message: str) -> None:
    done = run_release(rendered_service, tmp_path, *args)
    assert (done.returncode, done.stderr) == (1, f"release.sh: {message}\n")
