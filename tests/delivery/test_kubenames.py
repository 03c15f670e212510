"""Names and labels the Kubernetes API server would refuse, though the schemas accept them."""

from __future__ import annotations

from typing import Any

from paved.delivery.kubenames import Violation, check


def deployment(**changes: Any) -> dict[str, Any]:
    manifest: dict[str, Any] = {
        "kind": "Deployment",
        "metadata": {"name": "svc", "namespace": "svc",
                     "labels": {"app.kubernetes.io/name": "svc"}},
        "spec": {"selector": {"matchLabels": {"app.kubernetes.io/name": "svc"}},
                 "template": {"metadata": {"labels": {"app.kubernetes.io/name": "svc"}},
                              "spec": {"containers": [{"name": "app", "ports": [
                                  {"name": "http", "containerPort": 8080}]}]}}},
    }
    manifest["metadata"].update(changes)
    return manifest


def test_a_valid_deployment_and_service_pass() -> None:
    service = {"kind": "Service", "metadata": {"name": "svc"},
               "spec": {"selector": {"app.kubernetes.io/name": "svc"},
                        "ports": [{"name": "http", "port": 80}]}}
    assert check([deployment(), service]) == []


def test_what_the_api_server_refuses() -> None:
    long_value = "a-" * 31 + "prod"  # 66 characters
    manifests = [
        deployment(labels={"app.kubernetes.io/instance": long_value, "bad key!": "x"}),
        deployment(namespace="team.payments"),
        {"kind": "Service", "metadata": {"name": "a" * 64},
         "spec": {"ports": [{"name": "http-metrics-port", "port": 9090}]}},
    ]
    assert check(manifests) == [
        Violation("Deployment/svc", f"metadata.labels: label app.kubernetes.io/instance value "
                                    f"{long_value!r} is longer than 63 characters"),
        Violation("Deployment/svc", "metadata.labels: label key 'bad key!' is not a qualified "
                                    "name (at most 63 characters)"),
        Violation("Deployment/svc", "namespace 'team.payments' is not a DNS-1123 label "
                                    "(lowercase letters, digits and inner dashes)"),
        Violation(f"Service/{'a' * 64}", f"name {'a' * 64!r} is longer than 63 characters"),
        Violation(f"Service/{'a' * 64}", "spec.ports: port name 'http-metrics-port' is not an "
                                         "IANA service name (at most 15)"),
    ]
