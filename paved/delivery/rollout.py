"""Worst-case rollback time of a Deployment, computed from its rendered manifests.

A rollback ends a bad release in two phases:

1. **Detection**: the deploy learns the release is bad. Either its pods never
   become available, and the Deployment reports `ProgressDeadlineExceeded`
   `progressDeadlineSeconds` after its last progress (worst when that happens
   in the last wave), or it rolls out completely and then fails the smoke test.
2. **Restore**: the previous release rolls out again. Worst when the bad
   release had replaced every pod: all waves again.

A *wave* is one batch of new pods under the rolling-update strategy (with
`maxUnavailable: 0`, `maxSurge` pods at a time), sized at the autoscaler's
`maxReplicas`. A wave lasts at most the image pull, the startup probe's full
budget (`initialDelaySeconds + periodSeconds x failureThreshold`; a pod slower
than that is killed, not waited for), the readiness probe's first successes
(`initialDelaySeconds + periodSeconds x successThreshold`) and `minReadySeconds`.
Termination of old pods does not hold a rollout up. What the manifests cannot
tell (pull time, smoke test, tool overhead) comes from `Assumptions`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from paved.errors import PavedError

# Kubernetes defaults for fields a manifest leaves out.
DEFAULT_PROGRESS_DEADLINE = 600
DEFAULT_SURGE = "25%"
DEFAULT_UNAVAILABLE = "25%"
PROBE_DEFAULTS = {"initialDelaySeconds": 0, "periodSeconds": 10, "failureThreshold": 3,
                  "successThreshold": 1, "timeoutSeconds": 1}


@dataclass(frozen=True)
class Assumptions:
    image_pull_seconds: int = 15  # per wave; the previous image is usually still cached
    smoke_test_seconds: int = 40  # release.sh smoke: 10 tries of /readyz, then /version
    overhead_seconds: int = 15  # cluster login, apply, record look-up


@dataclass(frozen=True)
class RollbackEstimate:
    deployment: str
    replicas: int  # at the autoscaler's maximum
    pods_per_wave: int
    waves: int
    wave_seconds: int
    progress_deadline_seconds: int
    detection_seconds: int
    restore_seconds: int
    overhead_seconds: int
    total_seconds: int
    breakdown: tuple[tuple[str, int], ...]  # (what, seconds), adding up to the wave time


class RolloutError(PavedError):
    """The manifests hold no Deployment to estimate, or one that cannot roll out."""


def worst_case_rollback(manifests: Iterable[Mapping[str, Any]],
                        assumptions: Assumptions = Assumptions()) -> RollbackEstimate:
    """Worst-case time to detect a bad release of the one Deployment and restore the last one."""
    documents = list(manifests)
    deployments = [d for d in documents if d.get("kind") == "Deployment"]
    if len(deployments) != 1:
        raise RolloutError(f"expected one Deployment in the manifests, found {len(deployments)}")
    deployment = deployments[0]
    name = str(deployment["metadata"]["name"])
    spec = deployment.get("spec") or {}
    replicas = _max_replicas(name, spec, documents)
    rolling = (spec.get("strategy") or {}).get("rollingUpdate") or {}
    surge = _scaled(rolling.get("maxSurge", DEFAULT_SURGE), replicas, round_up=True)
    unavailable = _scaled(rolling.get("maxUnavailable", DEFAULT_UNAVAILABLE), replicas,
                          round_up=False)
    if surge + unavailable < 1:
        raise RolloutError(f"Deployment {name}: maxSurge and maxUnavailable are both 0")
    pods_per_wave = min(replicas, surge + unavailable)
    waves = math.ceil(replicas / pods_per_wave)
    pod = ((spec.get("template") or {}).get("spec") or {})
    breakdown = (("image pull", assumptions.image_pull_seconds),
                 *_probe_budgets(name, pod),
                 ("minReadySeconds", int(spec.get("minReadySeconds", 0))))
    wave = sum(seconds for _, seconds in breakdown)
    deadline = int(spec.get("progressDeadlineSeconds", DEFAULT_PROGRESS_DEADLINE))
    stalled = (waves - 1) * wave + deadline
    rolled_out_but_bad = waves * wave + assumptions.smoke_test_seconds
    detection = max(stalled, rolled_out_but_bad)
    restore = waves * wave
    return RollbackEstimate(
        deployment=name, replicas=replicas, pods_per_wave=pods_per_wave, waves=waves,
        wave_seconds=wave, progress_deadline_seconds=deadline, detection_seconds=detection,
        restore_seconds=restore, overhead_seconds=assumptions.overhead_seconds,
        total_seconds=detection + restore + assumptions.overhead_seconds, breakdown=breakdown)


def _max_replicas(name: str, spec: Mapping[str, Any], documents: list[Mapping[str, Any]]) -> int:
    """The most pods a rollout may have to replace: the autoscaler's ceiling or the
    Deployment's own count, whichever is larger (a count above the ceiling is applied
    first and only later scaled down)."""
    replicas = int(spec.get("replicas", 1))
    for document in documents:
        target = (document.get("spec") or {}).get("scaleTargetRef") or {}
        if document.get("kind") == "HorizontalPodAutoscaler" and target.get("name") == name \
                and target.get("kind") == "Deployment":
            replicas = max(replicas, int(document["spec"]["maxReplicas"]))
    return replicas


def _scaled(value: int | str, replicas: int, *, round_up: bool) -> int:
    """An absolute or percentage surge/unavailable count, rounded as Kubernetes does."""
    if isinstance(value, str) and value.endswith("%"):
        exact = replicas * int(value[:-1]) / 100
        return math.ceil(exact) if round_up else math.floor(exact)
    return int(value)


def _probe_budgets(name: str, pod: Mapping[str, Any]) -> list[tuple[str, int]]:
    containers = pod.get("containers") or []
    if not containers:
        raise RolloutError(f"Deployment {name} has no containers")
    slowest: list[tuple[str, int]] = []
    for container in containers:
        budgets = []
        startup = container.get("startupProbe")
        if startup is not None:
            probe = {**PROBE_DEFAULTS, **startup}
            budgets.append(("startup probe budget", probe["initialDelaySeconds"]
                            + probe["periodSeconds"] * probe["failureThreshold"]))
        readiness = container.get("readinessProbe")
        if readiness is not None:
            probe = {**PROBE_DEFAULTS, **readiness}
            budgets.append(("readiness probe first successes", probe["initialDelaySeconds"]
                            + probe["periodSeconds"] * probe["successThreshold"]))
        if sum(s for _, s in budgets) >= sum(s for _, s in slowest):
            slowest = budgets
    return slowest
