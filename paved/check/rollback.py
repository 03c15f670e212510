"""Rollback: going back to the last good release is one fast step.

A rollback workflow exists, builds and tests nothing, is time-boxed to five
minutes; the deploy workflow rolls back by itself on failure; the manifests
keep the worst-case rollback under 300 s; images are pinned by digest.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from paved import yaml
from paved.check.repo import Repo, YamlDocument, as_map, containers
from paved.check.rule import (
    RESTORE,
    Evidence,
    Outcome,
    Rule,
    Severity,
    failed,
    failed_with,
    found,
    missing,
    not_applicable,
    passed,
    restore,
)
from paved.delivery.rollout import worst_case_rollback
from paved.errors import PavedError

AREA = "rollback"
MAX_ROLLBACK_SECONDS = 300
MAX_ROLLBACK_MINUTES = 5
BUILD_USES = re.compile(r"docker/build-push-action|docker/setup-buildx-action|"
                        r"redhat-actions/buildah-build|ko-build/setup-ko", re.IGNORECASE)
BUILD_RUN = re.compile(
    r"\b(docker|podman)\s+(buildx\s+)?build\b|\bbuildah\s+(bud|build)\b|\bkaniko\b|"
    r"\bpip\s+install\b|\bnpm\s+(ci|install|test|run\s+build)\b|\bmake\s+(build|test|install|"
    r"image|docker)\b|\bpytest\b|\btox\b|\bnox\b|\bpoetry\s+install\b|\buv\s+sync\b|"
    r"\bgo\s+(build|test)\b|\bmvn\b|\bgradle\b|\bcargo\s+(build|test)\b", re.IGNORECASE)
ROLLBACK_WORDS = re.compile(r"roll\s*-?back|rollout\s+undo", re.IGNORECASE)


def workflows_about(repo: Repo, word: str) -> list[YamlDocument]:
    """Workflows whose file name or `name:` contains `word` (rollback, deploy)."""
    found = []
    for workflow in repo.workflows:
        stem = workflow.path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        label = f"{stem} {workflow.data.get('name', '')}".lower()
        if word in label and (word == "rollback" or "rollback" not in label):
            found.append(workflow)
    return found


def jobs(workflow: YamlDocument) -> Iterator[tuple[str, Mapping[str, Any], Mapping[str, Any]]]:
    """(job id, job, the jobs mapping) for each job of a workflow."""
    table = workflow.data.get("jobs")
    if isinstance(table, Mapping):
        for job_id, job in table.items():
            if isinstance(job, Mapping):
                yield str(job_id), job, table


def steps(job: Mapping[str, Any]) -> Iterator[tuple[Mapping[str, Any], list[Any]]]:
    items = job.get("steps")
    if isinstance(items, list):
        for item in items:
            if isinstance(item, Mapping):
                yield item, items


def _deployable(repo: Repo) -> bool:
    return bool(repo.pod_specs or workflows_about(repo, "deploy"))


def check_workflow(repo: Repo) -> Outcome:
    flows = workflows_about(repo, "rollback")
    if not flows:
        if not _deployable(repo):
            return not_applicable("nothing is deployed from this repository")
        where = (workflows_about(repo, "deploy") or list(repo.workflows) or
                 [YamlDocument(repo.pod_specs[0].path, None)])[0]
        return missing("no rollback workflow", Evidence(where.path, 1, "deploys, but no "
                                                        ".github/workflows/rollback.yml"))
    workflow = flows[0]
    triggers = workflow.data.get("on")
    if "workflow_dispatch" not in (triggers if isinstance(triggers, Mapping | list | str) else ""):
        return failed("the rollback workflow cannot be started by hand",
                      Evidence(workflow.path, yaml.line_of(workflow.data, "on"),
                               "no workflow_dispatch trigger"))
    return found("a rollback workflow runs on demand", Evidence(workflow.path, 1, "found"))


def check_builds_nothing(repo: Repo) -> Outcome:
    flows = workflows_about(repo, "rollback")
    if not flows:
        return not_applicable("no rollback workflow")
    problems = []
    for workflow in flows:
        for job_id, job, _ in jobs(workflow):
            for step, items in steps(job):
                uses, run = str(step.get("uses", "")), str(step.get("run", ""))
                match = BUILD_USES.search(uses) or BUILD_RUN.search(run)
                if match:
                    problems.append(Evidence(workflow.path, yaml.line_of(items, items.index(step)),
                                             f"job {job_id} builds or tests: {match.group(0)!r}"))
    return failed_with(problems, ok="the rollback workflow redeploys without building",
                       bad="the rollback workflow builds or tests ({count} step(s))")


def check_timeout(repo: Repo) -> Outcome:
    flows = workflows_about(repo, "rollback")
    if not flows:
        return not_applicable("no rollback workflow")
    problems = []
    for workflow in flows:
        for job_id, job, table in jobs(workflow):
            minutes = job.get("timeout-minutes")
            if minutes is None:
                problems.append(Evidence(workflow.path, yaml.line_of(table, job_id),
                                         f"job {job_id} has no timeout-minutes "
                                         f"(GitHub's default is 360)"))
            elif not isinstance(minutes, int | float) or minutes > MAX_ROLLBACK_MINUTES:
                problems.append(Evidence(workflow.path, yaml.line_of(job, "timeout-minutes"),
                                         f"job {job_id}: timeout-minutes {minutes} "
                                         f"(at most {MAX_ROLLBACK_MINUTES})"))
    return failed_with(problems, ok=f"every rollback job stops within {MAX_ROLLBACK_MINUTES} "
                                    "minutes", bad="{count} rollback job(s) not time-boxed")


def check_automatic(repo: Repo) -> Outcome:
    flows = workflows_about(repo, "deploy")
    if not flows:
        return not_applicable("no deploy workflow")
    for workflow in flows:
        for job_id, job, table in jobs(workflow):
            if _on_failure(job) and _rolls_back(job):
                return found("deploy rolls back on failure",
                             Evidence(workflow.path, yaml.line_of(table, job_id), job_id))
            for step, items in steps(job):
                if _on_failure(step) and _rolls_back(step):
                    return found("deploy rolls back on failure",
                                 Evidence(workflow.path, yaml.line_of(items, items.index(step)),
                                          str(step.get("name", "rollback step"))))
    workflow = flows[0]
    return missing("the deploy workflow does not roll back on failure",
                   Evidence(workflow.path, yaml.line_of(workflow.data, "jobs") or 1,
                            "no step or job with `if: failure()` that rolls back"))


def _on_failure(item: Mapping[str, Any]) -> bool:
    return "failure()" in str(item.get("if", ""))


def _rolls_back(item: Mapping[str, Any]) -> bool:
    text = " ".join(str(item.get(key, "")) for key in ("name", "run", "uses", "id"))
    nested = " ".join(f"{step.get('name', '')} {step.get('run', '')} {step.get('uses', '')}"
                      for step, _ in steps(item))
    return bool(ROLLBACK_WORDS.search(f"{text} {nested}"))


def check_rollback_time(repo: Repo) -> Outcome:
    autoscalers = [yaml.plain(document.data) for document in
                   repo.objects("HorizontalPodAutoscaler")]
    estimates, unknown = [], []
    for name, deployment in merged_deployments(repo).items():
        try:
            estimates.append(worst_case_rollback([deployment, *autoscalers]))
        except (PavedError, ArithmeticError, LookupError, TypeError, ValueError,
                AttributeError) as error:
            unknown.append(f"{name}: {error}")
    if not estimates:
        reason = "; ".join(unknown) or "no Deployment manifests"
        return not_applicable(f"cannot estimate a rollback: {reason}")
    worst = max(estimates, key=lambda estimate: estimate.total_seconds)
    # Computed, not measured: a drill on a cluster measures it (evidence/rollback-drill).
    summary = (f"computed: worst case {worst.total_seconds} s for Deployment {worst.deployment} "
               f"(progressDeadlineSeconds {worst.progress_deadline_seconds}, {worst.waves} "
               f"wave(s) of {worst.wave_seconds} s for {worst.replicas} replica(s))")
    if worst.total_seconds <= MAX_ROLLBACK_SECONDS:
        return passed(summary)
    return failed(summary, *_deployment_evidence(repo, worst.deployment, summary))


def merged_deployments(repo: Repo) -> dict[str, dict[str, Any]]:
    """Each Deployment as one plain document: the base (the one with containers) with
    the worst value any overlay patch or kustomize `replicas:` entry gives its replica
    count, progress deadline and minReadySeconds, and the last patched strategy."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for document in repo.objects("Deployment"):
        data = yaml.plain(document.data)
        grouped.setdefault(str(as_map(data.get("metadata")).get("name", "?")), []).append(data)
    counts: dict[str, list[Any]] = {}
    for kustomization in repo.kustomizations:
        entries = kustomization.data.get("replicas")
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, Mapping):
                counts.setdefault(str(entry.get("name")), []).append(entry.get("count"))
    merged = {}
    for name, documents in grouped.items():
        base = next((doc for doc in documents if _has_containers(doc)), documents[0])
        spec = dict(as_map(base.get("spec")))
        for doc in documents:
            patch = as_map(doc.get("spec"))
            for key in ("replicas", "progressDeadlineSeconds", "minReadySeconds"):
                values = [spec.get(key), patch.get(key), *(counts.get(name, [])
                                                           if key == "replicas" else [])]
                numbers = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
                if numbers:
                    spec[key] = max(numbers)
            if doc is not base and "strategy" in patch:
                spec["strategy"] = patch["strategy"]
        merged[name] = {**base, "spec": spec}
    return merged


def _has_containers(document: Mapping[str, Any]) -> bool:
    template = as_map(as_map(document.get("spec")).get("template"))
    return isinstance(as_map(template.get("spec")).get("containers"), list)


def _deployment_evidence(repo: Repo, name: str, summary: str) -> list[Evidence]:
    found = []
    for document in repo.objects("Deployment"):
        metadata, spec = document.data.get("metadata"), document.data.get("spec")
        if not isinstance(metadata, Mapping) or metadata.get("name") != name:
            continue
        line = yaml.line_of(document.data)
        if isinstance(spec, Mapping):
            line = yaml.line_of(spec, "progressDeadlineSeconds") if \
                "progressDeadlineSeconds" in spec else yaml.line_of(document.data, "spec")
        found.append(Evidence(document.path, line, summary))
    return found


def check_digests(repo: Repo) -> Outcome:
    if not repo.pod_specs:
        return not_applicable("no workload manifests")
    problems, pinned_names = [], set()
    for kustomization in repo.kustomizations:
        entries = kustomization.data.get("images")
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, Mapping):
                continue
            if entry.get("digest"):
                pinned_names.add(str(entry.get("name")))
            elif entry.get("newTag"):
                problems.append(Evidence(kustomization.path, yaml.line_of(entry, "newTag"),
                                         f"image {entry.get('name')} set by tag, not digest"))
    for pod in repo.pod_specs:
        for container in containers(pod.spec):
            image = str(container.get("image", ""))
            if "@sha256:" in image or _image_name(image) in pinned_names:
                continue
            problems.append(Evidence(pod.path, yaml.line_of(container, "image"),
                                     f"image {image or '(none)'} is not pinned by digest"))
    return failed_with(problems, ok="every image is pinned by digest",
                       bad="{count} image reference(s) not pinned by digest")


def _image_name(image: str) -> str:
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return name[: len(name) - len(last)] + last.split(":", 1)[0]


ROLLBACK_WORKFLOW = ".github/workflows/rollback.yml"

RULES = (
    Rule("rollback/workflow", AREA, "A one-step rollback workflow exists",
         "Under pressure, people need one obvious, rehearsed action that restores the last "
         "good release.", Severity.HIGH,
         "Add .github/workflows/rollback.yml (workflow_dispatch) that redeploys the previous "
         f"digest. {restore(ROLLBACK_WORKFLOW)}", check_workflow),
    Rule("rollback/builds-nothing", AREA, "The rollback workflow builds and tests nothing",
         "A rollback that builds can fail to build, and takes minutes longer; it should "
         "redeploy an image that already exists.", Severity.HIGH,
         "Remove build, install and test steps from the rollback workflow; redeploy a "
         f"recorded digest. {restore(ROLLBACK_WORKFLOW)}", check_builds_nothing),
    Rule("rollback/timeout", AREA, "Rollback jobs time out within 5 minutes",
         "A stuck rollback must fail fast so a person takes over; GitHub's default job "
         "timeout is six hours.", Severity.MEDIUM,
         f"Set timeout-minutes: {MAX_ROLLBACK_MINUTES} (or less) on every job of the "
         f"rollback workflow. {restore(ROLLBACK_WORKFLOW)}", check_timeout),
    Rule("rollback/automatic", AREA, "Deploy rolls back automatically on failure",
         "A failed rollout or smoke test should restore service without waiting for a "
         "person to notice.", Severity.HIGH,
         "In the deploy workflow, add a step or job with `if: failure()` that rolls back "
         f"to the previous digest. {restore('.github/workflows/deploy.yml')}", check_automatic),
    Rule("rollback/worst-case-time", AREA, "Worst-case rollback time ≤ 300 s",
         "Detection (progressDeadlineSeconds) plus rollout waves x probe budgets bounds "
         "how long users see a bad release.", Severity.HIGH,
         "Lower progressDeadlineSeconds, probe periods and failure thresholds, or raise "
         "maxSurge, until the estimate is ≤ 300 s (golden path defaults do). "
         f"{restore('deploy/base/deployment.yaml')}",
         check_rollback_time),
    Rule("rollback/image-digest", AREA, "Images are pinned by digest",
         "A tag can be moved; only a digest says exactly which release runs and which one "
         "to go back to.", Severity.MEDIUM,
         "Reference images as name@sha256:… or through the overlay's kustomize `images:` "
         f"entry with `digest:`. {RESTORE}", check_digests),
)
