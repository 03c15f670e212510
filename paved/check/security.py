"""Security: a compromised dependency or workflow can do as little as possible.

Pods meet the Pod Security Standards *restricted* profile, the image runs as a
numeric non-root user, workflows hold least-privilege tokens and pin actions by
commit SHA.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from paved import yaml
from paved.check.repo import Repo
from paved.check.rollback import jobs, steps
from paved.check.rule import (
    RESTORE,
    Evidence,
    Outcome,
    Rule,
    Severity,
    failed_with,
    not_applicable,
    restore,
)
from paved.delivery import podsecurity

AREA = "security"
PINNED = re.compile(r"@[0-9a-f]{40}$")
ROOT_USERS = frozenset({"root", "0", "0:0", "root:root"})


def check_pod_security(repo: Repo) -> Outcome:
    """The Pod Security Standards' baseline and restricted controls, and the golden path's
    two settings, through the one checker (`paved.delivery.podsecurity`)."""
    if not repo.pod_specs:
        return not_applicable("no workload manifests")
    problems = []
    for pod in repo.pod_specs:
        for problem in podsecurity.check_pod(pod.spec, podsecurity.pod_metadata(pod.obj)):
            line = yaml.line_of(problem.node, problem.key) if problem.key is not None \
                else yaml.line_of(problem.node)
            problems.append(Evidence(pod.path, line or yaml.line_of(pod.spec),
                                     f"{pod.kind}/{pod.name} {problem.message} "
                                     f"({problem.profile}: {problem.control})"))
    return failed_with(problems, ok="every pod meets Pod Security restricted",
                       bad="{count} Pod Security violation(s)")


def check_image_user(repo: Repo) -> Outcome:
    dockerfiles = repo.matching(r"(^|/)(Dockerfile|Containerfile)[^/]*$")
    if not dockerfiles:
        return not_applicable("no Dockerfile")
    problems = []
    for path in dockerfiles:
        user, line, stage_line = None, None, 1
        for number, text in enumerate((repo.text(path) or "").splitlines(), start=1):
            words = text.strip().split()
            if not words:
                continue
            if words[0].upper() == "FROM":
                user, line, stage_line = None, None, number  # each stage starts as root
            elif words[0].upper() == "USER" and len(words) > 1:
                user, line = words[1], number
        if user is None:
            problems.append(Evidence(path, stage_line, "the final stage has no USER: the "
                                                       "container runs as root"))
        elif user.lower() in ROOT_USERS or user.split(":")[0] in ("0", "root"):
            problems.append(Evidence(path, line, f"USER {user} is root"))
        elif not user.split(":")[0].isdigit():
            problems.append(Evidence(path, line, f"USER {user} is a name: Kubernetes "
                                                 "runAsNonRoot can only verify a numeric uid"))
    return failed_with(problems, ok="every image runs as a numeric non-root user",
                       bad="{count} image(s) may run as root")


PINNING_AUDITS = frozenset({"unpinned-uses", "unpinned-images"})
PERMISSION_AUDITS = frozenset({"excessive-permissions"})
BUILT_IN = " (paved's built-in check: {why})"


def _zizmor(repo: Repo, audits: frozenset[str], *, ok: str, bad: str) -> Outcome | None:
    """The outcome from zizmor's findings of `audits` in this service's workflows, or None
    when zizmor did not run (the caller then checks by itself and says so)."""
    run = repo.reading.zizmor
    if run.tool is None:
        return None
    problems = [Evidence(workflow.path, item.line, _zizmor_message(item))
                for workflow in repo.workflows
                for item in run.findings.get(workflow.path, ()) if item.ident in audits]
    return failed_with(problems, ok=f"{ok} ({run.tool})", bad=f"{bad} ({run.tool})")


def _zizmor_message(item: Any) -> str:
    feature = item.feature.strip()
    shown = f"{feature}: " if feature and "\n" not in feature and len(feature) <= 120 \
        and feature not in item.message else ""
    return f"{shown}{item.message} [zizmor {item.ident}]"


def check_permissions(repo: Repo) -> Outcome:
    if not repo.workflows:
        return not_applicable("no GitHub workflows")
    verdict = _zizmor(repo, PERMISSION_AUDITS, ok="no excessive workflow permissions",
                      bad="{count} excessive workflow permission(s)")
    if verdict is not None:
        return verdict
    problems = []
    for workflow in repo.workflows:
        top = workflow.data.get("permissions")
        if top is not None and _writes(top):
            problems.append(Evidence(workflow.path, yaml.line_of(workflow.data, "permissions"),
                                     f"workflow-wide permissions grant write: {_show(top)}"))
        for job_id, job, table in jobs(workflow):
            if top is None and "permissions" not in job and "uses" not in job:
                problems.append(Evidence(workflow.path, yaml.line_of(table, job_id),
                                         f"job {job_id} has no permissions (the token "
                                         "gets the repository's default, often write-all)"))
            elif job.get("permissions") in ("write-all",):
                problems.append(Evidence(workflow.path, yaml.line_of(job, "permissions"),
                                         f"job {job_id}: permissions: write-all"))
    why = BUILT_IN.format(why=repo.reading.zizmor.why_not)
    return failed_with(problems, ok="every workflow token is least-privilege" + why,
                       bad="{count} workflow permission problem(s)" + why)


def _writes(permissions: Any) -> bool:
    if isinstance(permissions, str):
        return permissions == "write-all"
    return isinstance(permissions, Mapping) and any(
        str(value) == "write" for value in permissions.values())


def _show(permissions: Any) -> str:
    if isinstance(permissions, Mapping):
        return ", ".join(f"{key}: {value}" for key, value in permissions.items())
    return str(permissions)


def check_pinned(repo: Repo) -> Outcome:
    if not repo.workflows:
        return not_applicable("no GitHub workflows")
    verdict = _zizmor(repo, PINNING_AUDITS, ok="every action and image is pinned",
                      bad="{count} action(s) or image(s) not pinned")
    if verdict is not None:
        return verdict
    problems = []
    for workflow in repo.workflows:
        for job_id, job, _ in jobs(workflow):
            if "uses" in job and not _pinned(str(job["uses"])):
                problems.append(Evidence(workflow.path, yaml.line_of(job, "uses"),
                                         f"job {job_id} uses {job['uses']} by tag or branch"))
            for step, _ in steps(job):
                uses = step.get("uses")
                if uses is not None and not _pinned(str(uses)):
                    problems.append(Evidence(workflow.path, yaml.line_of(step, "uses"),
                                             f"{uses} is not pinned by commit SHA"))
    why = BUILT_IN.format(why=repo.reading.zizmor.why_not)
    return failed_with(problems, ok="every action is pinned by commit SHA" + why,
                       bad="{count} action(s) not pinned by commit SHA" + why)


def _pinned(uses: str) -> bool:
    uses = uses.strip()
    if uses.startswith("./"):
        return True  # an action of this repository, versioned with it
    if uses.startswith("docker://"):
        return "@sha256:" in uses
    return bool(PINNED.search(uses))


RULES = (
    Rule("security/pod-security-restricted", AREA, "Pods meet Pod Security restricted",
         "A container escape or a compromised dependency gets as little as possible: no "
         "root, no privilege escalation, no capabilities, default seccomp, read-only root.",
         Severity.HIGH,
         "Set runAsNonRoot, allowPrivilegeEscalation: false, capabilities.drop [ALL], "
         "seccompProfile RuntimeDefault and readOnlyRootFilesystem on every container "
         f"(an emptyDir for /tmp). {restore('deploy/base/deployment.yaml')}", check_pod_security),
    Rule("security/non-root-image", AREA, "The image runs as a numeric non-root user",
         "Images run as root by default; a numeric USER lets Kubernetes verify "
         "runAsNonRoot.", Severity.HIGH,
         "End the Dockerfile's final stage with `USER 10001` (any non-zero uid). "
         f"{restore('Dockerfile')}",
         check_image_user),
    Rule("security/workflow-permissions", AREA, "Workflow tokens are least-privilege",
         "A workflow token with write access lets any compromised step push code or "
         "releases.", Severity.MEDIUM,
         "Set `permissions: contents: read` at the top of each workflow and grant writes "
         f"per job only where needed. {RESTORE}", check_permissions),
    Rule("security/actions-pinned", AREA, "Actions are pinned by commit SHA",
         "A tag can be moved to malicious code; a commit SHA cannot.", Severity.MEDIUM,
         "Pin each `uses:` to a full commit SHA with the version in a comment "
         f"(`uses: actions/checkout@<sha> # v4.2.2`). {RESTORE}", check_pinned),
)
