"""Worst-case rollback time from manifests: waves, probe budgets, detection."""

from __future__ import annotations

from typing import Any

import pytest

from paved.delivery.rollout import Assumptions, RolloutError, worst_case_rollback

NO_ASSUMPTIONS = Assumptions(image_pull_seconds=0, smoke_test_seconds=0, overhead_seconds=0)


def deployment(**spec: Any) -> dict[str, Any]:
    container = spec.pop("container", {"name": "app", "image": "x"})
    return {"kind": "Deployment", "metadata": {"name": "svc"},
            "spec": {"template": {"spec": {"containers": [container]}}, **spec}}


def hpa(max_replicas: int, target: str = "svc") -> dict[str, Any]:
    return {"kind": "HorizontalPodAutoscaler", "metadata": {"name": target},
            "spec": {"maxReplicas": max_replicas,
                     "scaleTargetRef": {"kind": "Deployment", "name": target}}}


def test_the_breakdown_adds_up() -> None:
    container = {"name": "app",
                 "startupProbe": {"periodSeconds": 2, "failureThreshold": 10},
                 "readinessProbe": {"periodSeconds": 5, "initialDelaySeconds": 1}}
    manifests = [deployment(replicas=4, progressDeadlineSeconds=60, minReadySeconds=5,
                            strategy={"rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
                            container=container)]
    estimate = worst_case_rollback(manifests, Assumptions(image_pull_seconds=10,
                                                          smoke_test_seconds=30,
                                                          overhead_seconds=7))
    assert estimate.breakdown == (("image pull", 10), ("startup probe budget", 20),
                                  ("readiness probe first successes", 6),
                                  ("minReadySeconds", 5))
    assert (estimate.replicas, estimate.pods_per_wave, estimate.waves) == (4, 1, 4)
    assert estimate.wave_seconds == 41
    # stalled in the last wave: 3 x 41 + 60 = 183; rolled out then smoke-failed: 164 + 30
    assert estimate.detection_seconds == 194
    assert estimate.restore_seconds == 164
    assert estimate.total_seconds == 194 + 164 + 7


def test_the_autoscaler_maximum_sizes_the_waves() -> None:
    manifests = [deployment(replicas=2, strategy={"rollingUpdate": {"maxSurge": "50%",
                                                                    "maxUnavailable": 0}}),
                 hpa(10), hpa(99, target="other")]
    estimate = worst_case_rollback(manifests, NO_ASSUMPTIONS)
    assert (estimate.replicas, estimate.pods_per_wave, estimate.waves) == (10, 5, 2)


def test_kubernetes_defaults_apply() -> None:
    # 25% surge of 4 rounds up to 1, 25% unavailable rounds down to 1; deadline 600 s.
    estimate = worst_case_rollback([deployment(replicas=4)], NO_ASSUMPTIONS)
    assert (estimate.pods_per_wave, estimate.waves) == (2, 2)
    assert estimate.progress_deadline_seconds == 600
    assert estimate.detection_seconds == 600


def test_the_slowest_container_counts() -> None:
    manifest = deployment(replicas=1)
    manifest["spec"]["template"]["spec"]["containers"] = [
        {"name": "fast", "readinessProbe": {"periodSeconds": 1}},
        {"name": "slow", "startupProbe": {"periodSeconds": 5, "failureThreshold": 12}},
    ]
    estimate = worst_case_rollback([manifest], NO_ASSUMPTIONS)
    assert estimate.breakdown[1] == ("startup probe budget", 60)


@pytest.mark.parametrize(("manifests", "message"), [
    ([], "expected one Deployment in the manifests, found 0"),
    ([deployment(strategy={"rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}})],
     "Deployment svc: maxSurge and maxUnavailable are both 0"),
])
def test_unusable_manifests_are_refused(manifests: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(RolloutError) as raised:
        worst_case_rollback(manifests)
    assert str(raised.value) == message
