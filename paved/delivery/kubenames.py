"""Names and labels as the Kubernetes API server validates them (pure).

The OpenAPI schemas (kubernetes-validate) type these fields as plain strings,
so a label value of 68 characters or a namespace with a dot passes them and is
refused only by the cluster (`must be no more than 63 characters`). These are
the API server's own rules (apimachinery's validation package):

- a DNS-1123 label (at most 63: lowercase letters, digits, inner dashes):
  namespaces, Service names, container and volume names;
- a DNS-1123 subdomain (at most 253, dot-separated labels): other object names;
- label keys (an optional subdomain prefix and `/`, then at most 63 of letters,
  digits, `-`, `_`, `.`, starting and ending alphanumeric) and values (the same,
  or empty): metadata.labels, selectors and pod template labels;
- port names: an IANA service name (at most 15, a letter, no double dash).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DNS_LABEL = re.compile(rf"^{_LABEL}$")
DNS_SUBDOMAIN = re.compile(rf"^{_LABEL}(\.{_LABEL})*$")
QUALIFIED = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
PORT_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
LABEL_NAMED = frozenset({"Namespace", "Service"})  # kinds whose names are DNS labels


@dataclass(frozen=True)
class Violation:
    resource: str  # Kind/name
    message: str


def dns_label_problem(value: str) -> str:
    if len(value) > 63:
        return f"{value!r} is longer than 63 characters"
    return "" if DNS_LABEL.match(value) else (
        f"{value!r} is not a DNS-1123 label (lowercase letters, digits and inner dashes)")


def _subdomain_problem(value: str) -> str:
    if len(value) > 253:
        return f"{value!r} is longer than 253 characters"
    return "" if DNS_SUBDOMAIN.match(value) else f"{value!r} is not a DNS-1123 subdomain"


def label_problems(labels: Mapping[str, Any], where: str) -> Iterator[str]:
    for key, value in labels.items():
        prefix, _, name = str(key).rpartition("/")
        if prefix and _subdomain_problem(prefix):
            yield f"{where}: label key prefix {_subdomain_problem(prefix)}"
        if len(name) > 63 or not QUALIFIED.match(name):
            yield f"{where}: label key {key!r} is not a qualified name (at most 63 characters)"
        text = "" if value is None else str(value)
        if len(text) > 63:
            yield f"{where}: label {key} value {text!r} is longer than 63 characters"
        elif text and not QUALIFIED.match(text):
            yield f"{where}: label {key} value {text!r} is not a valid label value"


def check(manifests: list[Any]) -> list[Violation]:
    """Every name, namespace, label and port name the API server would refuse."""
    found: list[Violation] = []
    for item in manifests:
        if not isinstance(item, Mapping):
            continue
        metadata = item.get("metadata") or {}
        kind = str(item.get("kind", "?"))
        name = str(metadata.get("name", ""))
        resource = f"{kind}/{name}"
        named = dns_label_problem(name) if kind in LABEL_NAMED else _subdomain_problem(name)
        problems = [f"name {named}"] if named else []
        namespace = metadata.get("namespace")
        if namespace is not None and dns_label_problem(str(namespace)):
            problems.append(f"namespace {dns_label_problem(str(namespace))}")
        problems += label_problems(metadata.get("labels") or {}, "metadata.labels")
        spec = item.get("spec") or {}
        selector = spec.get("selector") if isinstance(spec, Mapping) else None
        if isinstance(selector, Mapping):
            labels = selector.get("matchLabels", selector if kind == "Service" else {})
            problems += label_problems(labels or {}, "spec.selector")
        template = spec.get("template") if isinstance(spec, Mapping) else None
        if isinstance(template, Mapping):
            problems += label_problems((template.get("metadata") or {}).get("labels") or {},
                                       "spec.template.metadata.labels")
            problems += _pod_problems(template.get("spec") or {})
        if kind == "Service" and isinstance(spec, Mapping):
            problems += _port_problems(spec.get("ports") or [], "spec.ports")
        found += [Violation(resource, problem) for problem in problems]
    return found


def _pod_problems(pod: Mapping[str, Any]) -> Iterator[str]:
    for group in ("initContainers", "containers"):
        for container in pod.get(group) or []:
            problem = dns_label_problem(str(container.get("name", "")))
            if problem:
                yield f"{group} name {problem}"
            yield from _port_problems(container.get("ports") or [],
                                      f"container {container.get('name')} ports")
    for volume in pod.get("volumes") or []:
        problem = dns_label_problem(str(volume.get("name", "")))
        if problem:
            yield f"volume name {problem}"


def _port_problems(ports: list[Any], where: str) -> Iterator[str]:
    for port in ports:
        name = str(port.get("name") or "") if isinstance(port, Mapping) else ""
        if name and (len(name) > 15 or not PORT_NAME.match(name) or "--" in name
                     or not re.search("[a-z]", name)):
            yield f"{where}: port name {name!r} is not an IANA service name (at most 15)"
