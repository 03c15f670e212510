"""Pod Security Standards, *restricted* profile, checked on rendered manifests.

No offline admission checker installs from the registries paved can use, so
this is our own rule check of every pod template, following
https://kubernetes.io/docs/concepts/security/pod-security-standards/ (restricted),
plus the golden path's read-only root filesystem.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

# The volume types the restricted profile allows.
ALLOWED_VOLUMES = frozenset({"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
                             "persistentVolumeClaim", "projected", "secret"})
ALLOWED_SECCOMP = frozenset({"RuntimeDefault", "Localhost"})


@dataclass(frozen=True)
class Violation:
    resource: str  # Kind/name
    message: str


def pod_specs(manifest: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """The pod specs a manifest holds (workload templates, or a Pod itself)."""
    kind, spec = manifest.get("kind"), manifest.get("spec") or {}
    if kind == "Pod":
        yield spec
    elif kind in {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job",
                  "ReplicationController"}:
        yield (spec.get("template") or {}).get("spec") or {}
    elif kind == "CronJob":
        job = (spec.get("jobTemplate") or {}).get("spec") or {}
        yield (job.get("template") or {}).get("spec") or {}


def check(manifests: Iterable[Mapping[str, Any]]) -> list[Violation]:
    """Every way the pod templates in `manifests` break the restricted profile."""
    violations: list[Violation] = []
    for manifest in manifests:
        resource = f"{manifest.get('kind')}/{(manifest.get('metadata') or {}).get('name')}"
        for spec in pod_specs(manifest):
            violations.extend(Violation(resource, message) for message in _check_pod(spec))
    return violations


def _check_pod(pod: Mapping[str, Any]) -> Iterator[str]:
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(field):
            yield f"{field} must not be true"
    for volume in pod.get("volumes") or []:
        kinds = set(volume) - {"name"}
        if not kinds <= ALLOWED_VOLUMES:
            yield f"volume {volume.get('name')} uses {', '.join(sorted(kinds))}, not allowed"
    pod_context = pod.get("securityContext") or {}
    containers = [*(pod.get("initContainers") or []), *(pod.get("containers") or []),
                  *(pod.get("ephemeralContainers") or [])]
    if not containers:
        yield "the pod has no containers"
    for container in containers:
        yield from (f"container {container.get('name')}: {message}"
                    for message in _check_container(container, pod_context))


def _check_container(container: Mapping[str, Any], pod: Mapping[str, Any]) -> Iterator[str]:
    own = container.get("securityContext") or {}

    def effective(field: str) -> Any:
        return own[field] if field in own else pod.get(field)

    if own.get("privileged"):
        yield "privileged must not be true"
    if own.get("allowPrivilegeEscalation") is not False:
        yield "allowPrivilegeEscalation must be false"
    capabilities = own.get("capabilities") or {}
    if "ALL" not in (capabilities.get("drop") or []):
        yield "capabilities must drop ALL"
    added = set(capabilities.get("add") or []) - {"NET_BIND_SERVICE"}
    if added:
        yield f"capabilities must not add {', '.join(sorted(added))}"
    if effective("runAsNonRoot") is not True:
        yield "runAsNonRoot must be true"
    user = effective("runAsUser")
    if not isinstance(user, int) or isinstance(user, bool) or user <= 0:
        yield "runAsUser must be a numeric non-root UID"
    seccomp = (effective("seccompProfile") or {}).get("type")
    if seccomp not in ALLOWED_SECCOMP:
        yield f"seccompProfile type must be RuntimeDefault or Localhost, not {seccomp}"
    if own.get("readOnlyRootFilesystem") is not True:
        yield "readOnlyRootFilesystem must be true (mount an emptyDir where it writes)"
    for port in container.get("ports") or []:
        if port.get("hostPort"):
            yield f"hostPort {port['hostPort']} must not be set"
