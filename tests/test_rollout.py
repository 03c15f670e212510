from __future__ import annotations

from typing import Any

from paved.rollout import worst_case_rollback


def _deployment(spec: dict[str, Any], name: str = "api") -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": spec}


def test_kubernetes_defaults_apply_when_nothing_is_set() -> None:
    estimate = worst_case_rollback([_deployment({"template": {"spec": {"containers": [
        {"name": "app", "readinessProbe": {"httpGet": {"path": "/readyz"}}}]}}})])
    assert estimate is not None
    # 600 s progress deadline; 1 replica: 25 % surge rounds up to 1, one wave of 10 s.
    assert (estimate.seconds, estimate.waves, estimate.replicas) == (610, 1, 1)
    assert estimate.breakdown[0] == ("detection (progressDeadlineSeconds)", 600)


def test_waves_follow_the_hpa_ceiling_and_surge() -> None:
    container = {"name": "app",
                 "startupProbe": {"periodSeconds": 2, "failureThreshold": 15},
                 "readinessProbe": {"periodSeconds": 5, "initialDelaySeconds": 1}}
    deployment = _deployment({
        "replicas": 2, "progressDeadlineSeconds": 60, "minReadySeconds": 4,
        "strategy": {"rollingUpdate": {"maxSurge": 2, "maxUnavailable": 0}},
        "template": {"spec": {"containers": [container]}}})
    hpa = {"kind": "HorizontalPodAutoscaler", "metadata": {"name": "api"},
           "spec": {"scaleTargetRef": {"name": "api"}, "maxReplicas": 5}}
    estimate = worst_case_rollback([deployment, hpa])
    assert estimate is not None
    # ceil(5 / 2) = 3 waves of (30 startup + 6 readiness + 4 minReady) after 60 s.
    assert (estimate.seconds, estimate.waves, estimate.replicas) == (180, 3, 5)


def test_the_slowest_deployment_wins_and_patches_take_the_worst_value() -> None:
    fast = _deployment({"progressDeadlineSeconds": 30}, name="fast")
    slow = _deployment({"progressDeadlineSeconds": 60}, name="slow")
    patch = _deployment({"progressDeadlineSeconds": 90}, name="fast")
    estimate = worst_case_rollback([fast, slow, patch])
    assert estimate is not None and (estimate.deployment, estimate.seconds) == ("fast", 90)


def test_no_deployment_gives_none_and_odd_values_are_tolerated() -> None:
    assert worst_case_rollback([{"kind": "Service"}]) is None
    odd = _deployment({"replicas": "many", "strategy": "x", "template": 3,
                       "progressDeadlineSeconds": True})
    estimate = worst_case_rollback([odd, {"kind": "Kustomization", "replicas": "x"}])
    assert estimate is not None and estimate.seconds == 600
