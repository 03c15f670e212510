"""How long a rollback can take at worst, computed from one Deployment's manifests.

    worst case = detection + waves x wave budget

- detection: `progressDeadlineSeconds` (default 600): how long Kubernetes (and
  `kubectl rollout status`, which the deploy workflow waits on) takes to call a
  stuck rollout failed, after which the automatic rollback starts;
- waves: ceil(replicas / (maxSurge + maxUnavailable)), replicas being the most
  the Deployment can have (the HPA's `maxReplicas` when there is one);
- wave budget: the slowest container's startup probe budget
  (initialDelaySeconds + failureThreshold x periodSeconds), plus its readiness
  budget (initialDelaySeconds + successThreshold x periodSeconds), plus
  `minReadySeconds`.

Kubernetes defaults apply where a field is missing. The public API
(`worst_case_rollback`, `RollbackEstimate` with `deployment`, `replicas`,
`waves`, `wave_seconds`, `progress_deadline_seconds`, `total_seconds`,
`breakdown`, and `RolloutError`) is what `paved check` relies on.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from paved.errors import PavedError

DEFAULT_PROGRESS_DEADLINE = 600
DEFAULT_PERIOD = 10
DEFAULT_FAILURE_THRESHOLD = 3


class RolloutError(PavedError):
    """The manifests hold no Deployment to estimate, or more than one."""


@dataclass(frozen=True)
class RollbackEstimate:
    deployment: str
    replicas: int  # the most the Deployment can have
    waves: int
    wave_seconds: int
    progress_deadline_seconds: int
    total_seconds: int
    breakdown: tuple[tuple[str, int], ...]  # (term, seconds) of one wave


def worst_case_rollback(manifests: Iterable[Mapping[str, Any]]) -> RollbackEstimate:
    """The worst-case rollback time of the one Deployment in `manifests` (with its HPA)."""
    documents = [doc for doc in manifests if isinstance(doc, Mapping)]
    deployments = [doc for doc in documents if doc.get("kind") == "Deployment"]
    if len(deployments) != 1:
        raise RolloutError(f"expected one Deployment in the manifests, found {len(deployments)}")
    deployment = deployments[0]
    name = _name(deployment)
    spec = _map(deployment.get("spec"))
    replicas = max(_int(spec.get("replicas"), 1), _hpa_ceiling(name, documents))
    rolling = _map(_map(spec.get("strategy")).get("rollingUpdate"))
    per_wave = (_scaled(rolling.get("maxSurge", "25%"), replicas, up=True)
                + _scaled(rolling.get("maxUnavailable", "25%"), replicas, up=False))
    waves = math.ceil(replicas / max(per_wave, 1))
    startup, readiness = 0, 0
    containers = _map(_map(spec.get("template")).get("spec")).get("containers")
    for container in containers if isinstance(containers, list) else []:
        if isinstance(container, Mapping):
            startup = max(startup, _startup_budget(container.get("startupProbe")))
            readiness = max(readiness, _readiness_budget(container.get("readinessProbe")))
    breakdown = (("startup probe budget", startup), ("readiness probe first successes", readiness),
                 ("minReadySeconds", _int(spec.get("minReadySeconds"), 0)))
    wave_seconds = sum(seconds for _, seconds in breakdown)
    deadline = _int(spec.get("progressDeadlineSeconds"), DEFAULT_PROGRESS_DEADLINE)
    return RollbackEstimate(deployment=name, replicas=replicas, waves=waves,
                            wave_seconds=wave_seconds, progress_deadline_seconds=deadline,
                            total_seconds=deadline + waves * wave_seconds, breakdown=breakdown)


def _hpa_ceiling(name: str, documents: list[Mapping[str, Any]]) -> int:
    ceiling = 1
    for doc in documents:
        spec = _map(doc.get("spec"))
        if doc.get("kind") == "HorizontalPodAutoscaler" and \
                _map(spec.get("scaleTargetRef")).get("name") == name:
            ceiling = max(ceiling, _int(spec.get("maxReplicas"), 1))
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
    return str(_map(doc.get("metadata")).get("name", "?"))


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
