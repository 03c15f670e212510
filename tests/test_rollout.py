from __future__ import annotations

from typing import Any

import pytest

from paved.rollout import RolloutError, worst_case_rollback


def _deployment(spec: dict[str, Any], name: str = "api") -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": spec}


def test_kubernetes_defaults_apply_when_nothing_is_set() -> None:
    estimate = worst_case_rollback([_deployment({"template": {"spec": {"containers": [
        {"name": "app", "readinessProbe": {"httpGet": {"path": "/readyz"}}}]}}})])
    # 600 s progress deadline; 1 replica: 25 % surge rounds up to 1, one wave of 10 s.
    assert (estimate.total_seconds, estimate.waves, estimate.replicas) == (610, 1, 1)
    assert estimate.progress_deadline_seconds == 600
    assert estimate.breakdown == (("startup probe budget", 0),
                                  ("readiness probe first successes", 10),
                                  ("minReadySeconds", 0))


def test_waves_follow_the_hpa_ceiling_and_surge() -> None:
    container = {"name": "app",
                 "startupProbe": {"periodSeconds": 2, "failureThreshold": 15},
                 "readinessProbe": {"periodSeconds": 5, "initialDelaySeconds": 1}}
    deployment = _deployment({
        "replicas": 2, "progressDeadlineSeconds": 60, "minReadySeconds": 4,
        "strategy": {"rollingUpdate": {"maxSurge": 2, "maxUnavailable": 0}},
        "template": {"spec": {"containers": [container]}}})
    hpa = {"kind": "HorizontalPodAutoscaler", "metadata": {"name": "api"},
           "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "api"}, "maxReplicas": 5}}
    other = {"kind": "HorizontalPodAutoscaler", "metadata": {"name": "x"},
             "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "x"}, "maxReplicas": 50}}
    estimate = worst_case_rollback([deployment, hpa, other])
    # ceil(5 / 2) = 3 waves of (30 startup + 6 readiness + 4 minReady) after 60 s.
    assert (estimate.total_seconds, estimate.waves, estimate.replicas) == (180, 3, 5)
    assert estimate.wave_seconds == 40


@pytest.mark.parametrize("manifests, found", [
    ([{"kind": "Service"}], 0),
    ([_deployment({}, name="a"), _deployment({}, name="b")], 2),
])
def test_exactly_one_deployment_is_estimated(manifests: list[dict[str, Any]],
                                             found: int) -> None:
    with pytest.raises(RolloutError, match=f"expected one Deployment in the manifests, "
                                           f"found {found}"):
        worst_case_rollback(manifests)


def test_odd_values_fall_back_to_kubernetes_defaults() -> None:
    odd = _deployment({"replicas": "many", "strategy": "x", "template": 3,
                       "progressDeadlineSeconds": True})
    assert worst_case_rollback([odd]).total_seconds == 600
