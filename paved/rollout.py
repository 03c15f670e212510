"""How long a rollback can take at worst, computed from Kubernetes manifests.

    worst case = detection + waves x per-wave budget

- detection: `progressDeadlineSeconds` (default 600): how long Kubernetes (and
  `kubectl rollout status`, which the deploy workflow waits on) takes to call a
  stuck rollout failed, after which the automatic rollback starts;
- waves: ceil(replicas / (maxSurge + maxUnavailable)), replicas being the most
  a workload can have (the HPA's `maxReplicas` when there is one);
- per-wave budget: the slowest container's startup probe budget
  (initialDelaySeconds + failureThreshold x periodSeconds), plus its readiness
  budget (initialDelaySeconds + successThreshold x periodSeconds), plus
  `minReadySeconds`.

Kubernetes defaults apply where a field is missing. A kustomize layout holds a
base Deployment and overlay patches of it: values of the same Deployment are
combined taking the worst (largest) of each, so the result holds for every
overlay.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_PROGRESS_DEADLINE = 600
DEFAULT_PERIOD = 10
DEFAULT_FAILURE_THRESHOLD = 3


@dataclass(frozen=True)
class RollbackTime:
    seconds: int
    deployment: str
    breakdown: tuple[tuple[str, int], ...]  # (term, seconds), summing to `seconds`
    replicas: int
    waves: int


def worst_case_rollback(manifests: Iterable[Mapping[str, Any]]) -> RollbackTime | None:
    """The slowest Deployment's worst-case rollback time; None without Deployments."""
    documents = [doc for doc in manifests if isinstance(doc, Mapping)]
    deployments: dict[str, list[Mapping[str, Any]]] = {}
    for doc in documents:
        if doc.get("kind") == "Deployment":
            deployments.setdefault(_name(doc), []).append(doc)
    estimates = [_estimate(name, docs, _replica_ceiling(name, documents))
                 for name, docs in deployments.items()]
    return max(estimates, key=lambda estimate: estimate.seconds, default=None)


def _estimate(name: str, docs: list[Mapping[str, Any]], ceiling: int) -> RollbackTime:
    specs = [_map(doc.get("spec")) for doc in docs]
    replicas = max([ceiling, *(_int(spec.get("replicas"), 1) for spec in specs)])
    deadline = max(_int(spec.get("progressDeadlineSeconds"), DEFAULT_PROGRESS_DEADLINE)
                   for spec in specs)
    min_ready = max(_int(spec.get("minReadySeconds"), 0) for spec in specs)
    surge, unavailable = "25%", "25%"
    for spec in specs:
        rolling = _map(_map(spec.get("strategy")).get("rollingUpdate"))
        surge = rolling.get("maxSurge", surge)
        unavailable = rolling.get("maxUnavailable", unavailable)
    per_wave = _scaled(surge, replicas, up=True) + _scaled(unavailable, replicas, up=False)
    waves = math.ceil(replicas / max(per_wave, 1))
    startup, readiness = 0, 0
    for spec in specs:
        containers = _map(_map(spec.get("template")).get("spec")).get("containers")
        for container in containers if isinstance(containers, list) else []:
            if isinstance(container, Mapping):
                startup = max(startup, _startup_budget(container.get("startupProbe")))
                readiness = max(readiness, _readiness_budget(container.get("readinessProbe")))
    wave_seconds = startup + readiness + min_ready
    breakdown = (
        ("detection (progressDeadlineSeconds)", deadline),
        (f"{waves} wave(s) of {replicas} replica(s) x (startup {startup} s + readiness "
         f"{readiness} s + minReadySeconds {min_ready} s)", waves * wave_seconds),
    )
    return RollbackTime(seconds=deadline + waves * wave_seconds, deployment=name,
                        breakdown=breakdown, replicas=replicas, waves=waves)


def _replica_ceiling(name: str, documents: list[Mapping[str, Any]]) -> int:
    """The most replicas any HPA or kustomize `replicas:` entry gives Deployment `name`."""
    ceiling = 1
    for doc in documents:
        spec = _map(doc.get("spec"))
        if doc.get("kind") == "HorizontalPodAutoscaler" and \
                _map(spec.get("scaleTargetRef")).get("name") == name:
            ceiling = max(ceiling, _int(spec.get("maxReplicas"), 1))
        if doc.get("kind") == "Kustomization":
            entries = doc.get("replicas")
            for entry in entries if isinstance(entries, list) else []:
                if isinstance(entry, Mapping) and entry.get("name") == name:
                    ceiling = max(ceiling, _int(entry.get("count"), 1))
    return ceiling


def _startup_budget(probe: Any) -> int:
    if not isinstance(probe, Mapping):
        return 0
    return (_int(probe.get("initialDelaySeconds"), 0)
            + _int(probe.get("failureThreshold"), DEFAULT_FAILURE_THRESHOLD)
            * _int(probe.get("periodSeconds"), DEFAULT_PERIOD))


def _readiness_budget(probe: Any) -> int:
    if not isinstance(probe, Mapping):
        return 0
    return (_int(probe.get("initialDelaySeconds"), 0)
            + _int(probe.get("successThreshold"), 1) * _int(probe.get("periodSeconds"),
                                                            DEFAULT_PERIOD))


def _scaled(value: Any, replicas: int, *, up: bool) -> int:
    """maxSurge (rounded up) or maxUnavailable (rounded down), absolute or a percentage."""
    text = str(value).strip()
    if text.endswith("%"):
        share = replicas * _int(text[:-1], 25) / 100
        return math.ceil(share) if up else math.floor(share)
    return _int(text, 1 if up else 0)


def _int(value: Any, default: int) -> int:
    if isinstance(value, bool):
        return default
    try:
        return max(int(str(value)), 0)
    except (TypeError, ValueError):
        return default


def _name(doc: Mapping[str, Any]) -> str:
    metadata = doc.get("metadata")
    return str(metadata.get("name", "?")) if isinstance(metadata, Mapping) else "?"


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
