"""Pod Security Standards (baseline and restricted), plus the golden path's own two
settings, checked on pod specs: the one implementation behind both `paved check`
(`security/pod-security-restricted`) and the delivery validators.

No offline admission checker installs from the registries paved can use, so
this follows the controls of
https://kubernetes.io/docs/concepts/security/pod-security-standards/ one by
one (Kubernetes 1.29+). Each `Violation` names its control and profile, and
the mapping and key it was found at, so a caller reading YAML with positions
can point at the line. Windows pods (`spec.os.name: windows`) are exempt from
the Linux-only restricted controls, as the standard says.

The golden path adds two settings the standard leaves out (profile
`golden-path`): a read-only root filesystem, and a numeric non-root
`runAsUser` (so that `runAsNonRoot` holds whatever the image says).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

BASELINE, RESTRICTED, GOLDEN_PATH = "baseline", "restricted", "golden-path"

#: Capabilities baseline lets a container add (everything else is refused).
BASELINE_CAPABILITIES = frozenset({
    "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
    "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"})
#: The only capability restricted lets a container add.
RESTRICTED_CAPABILITIES = frozenset({"NET_BIND_SERVICE"})
#: The volume types the restricted profile allows.
ALLOWED_VOLUMES = frozenset({"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
                             "persistentVolumeClaim", "projected", "secret"})
ALLOWED_SECCOMP = frozenset({"RuntimeDefault", "Localhost"})
SAFE_SYSCTLS = frozenset({
    "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"})
SELINUX_TYPES = frozenset({"", "container_t", "container_init_t", "container_kvm_t",
                           "container_engine_t"})
APPARMOR_TYPES = frozenset({"RuntimeDefault", "Localhost"})
APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/"
WORKLOADS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job",
                       "ReplicationController"})


@dataclass(frozen=True)
class Violation:
    resource: str  # Kind/name
    message: str  # "container app: capabilities must not add SYS_ADMIN"
    control: str = ""  # the standard's name for it: "Capabilities", "Host Ports"…
    profile: str = RESTRICTED  # baseline, restricted or golden-path
    # Where it was found: a mapping of the manifest and its key (for `yaml.line_of`).
    node: Any = field(default=None, compare=False, repr=False)
    key: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Problem:
    """A violation inside one pod spec, before it is tied to its resource."""
    control: str
    profile: str
    message: str
    node: Any = field(default=None, compare=False, repr=False)
    key: Any = None


def pod_specs(manifest: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """The pod specs a manifest holds (workload templates, or a Pod itself)."""
    kind, spec = manifest.get("kind"), _map(manifest.get("spec"))
    if kind == "Pod":
        yield spec
    elif kind in WORKLOADS:
        yield _map(_map(spec.get("template")).get("spec"))
    elif kind == "CronJob":
        job = _map(_map(spec.get("jobTemplate")).get("spec"))
        yield _map(_map(job.get("template")).get("spec"))


def pod_metadata(manifest: Mapping[str, Any]) -> Mapping[str, Any]:
    """The metadata of the pods a manifest makes (where AppArmor annotations live)."""
    kind, spec = manifest.get("kind"), _map(manifest.get("spec"))
    if kind == "Pod":
        return _map(manifest.get("metadata"))
    if kind == "CronJob":
        spec = _map(_map(spec.get("jobTemplate")).get("spec"))
    return _map(_map(spec.get("template")).get("metadata"))


def check(manifests: Iterable[Mapping[str, Any]]) -> list[Violation]:
    """Every way the pod templates in `manifests` break the restricted profile (which
    includes baseline) or the golden path's two settings."""
    violations: list[Violation] = []
    for manifest in manifests:
        if not isinstance(manifest, Mapping):
            continue
        resource = f"{manifest.get('kind')}/{_map(manifest.get('metadata')).get('name')}"
        for spec in pod_specs(manifest):
            violations.extend(
                Violation(resource, problem.message, problem.control, problem.profile,
                          problem.node, problem.key)
                for problem in check_pod(spec, pod_metadata(manifest)))
    return violations


def check_pod(pod: Mapping[str, Any],
              metadata: Mapping[str, Any] | None = None) -> list[Problem]:
    """The problems of one pod spec, pod-level first, then container by container."""
    context = _map(pod.get("securityContext"))
    linux = _map(pod.get("os")).get("name") != "windows"
    found = [*_pod_level(pod, context, linux), *_annotations(_map(metadata))]
    everything = [item for key in ("initContainers", "containers", "ephemeralContainers")
                  for item in _list(pod.get(key)) if isinstance(item, Mapping)]
    if not everything:
        found.append(Problem("Containers", RESTRICTED, "the pod has no containers", pod,
                             "containers"))
    for container in everything:
        prefix = f"container {container.get('name', '?')}: "
        found += [Problem(item.control, item.profile, prefix + item.message,
                          item.node if item.node is not None else container, item.key)
                  for item in _container(container, context, linux)]
    return found


def _pod_level(pod: Mapping[str, Any], context: Mapping[str, Any],
               linux: bool) -> Iterator[Problem]:
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(key) is True:
            yield Problem("Host Namespaces", BASELINE, f"{key} must not be true", pod, key)
    if _map(context.get("windowsOptions")).get("hostProcess") is True:
        yield Problem("HostProcess", BASELINE, "windowsOptions.hostProcess must not be true",
                      context, "windowsOptions")
    for volume in _list(pod.get("volumes")):
        if not isinstance(volume, Mapping):
            continue
        name = volume.get("name", "?")
        if "hostPath" in volume:
            yield Problem("HostPath Volumes", BASELINE,
                          f"volume {name}: hostPath volumes are not allowed", volume, "hostPath")
        kinds = set(volume) - {"name"} - ALLOWED_VOLUMES - {"hostPath"}
        if kinds:
            yield Problem("Volume Types", RESTRICTED,
                          f"volume {name}: {', '.join(sorted(kinds))} volumes are not allowed",
                          volume, sorted(kinds)[0])
    for sysctl in _list(context.get("sysctls")):
        name = _map(sysctl).get("name")
        if name not in SAFE_SYSCTLS:
            yield Problem("Sysctls", BASELINE, f"sysctl {name} is not in the safe set",
                          context, "sysctls")
    yield from _shared(context, "pod securityContext: ", context)


def _shared(context: Mapping[str, Any], prefix: str, node: Any) -> Iterator[Problem]:
    """Controls that apply alike to the pod's and to each container's securityContext."""
    if context.get("runAsUser") == 0 and not isinstance(context.get("runAsUser"), bool):
        yield Problem("Running as Non-root user", RESTRICTED,
                      f"{prefix}runAsUser must not be 0", node, "runAsUser")
    if _map(context.get("seccompProfile")).get("type") == "Unconfined":
        yield Problem("Seccomp", BASELINE, f"{prefix}seccompProfile must not be Unconfined",
                      node, "seccompProfile")
    selinux = _map(context.get("seLinuxOptions"))
    if str(selinux.get("type", "")) not in SELINUX_TYPES:
        yield Problem("SELinux", BASELINE, f"{prefix}seLinuxOptions.type "
                      f"{selinux.get('type')} is not allowed", node, "seLinuxOptions")
    for key in ("user", "role"):
        if selinux.get(key):
            yield Problem("SELinux", BASELINE, f"{prefix}seLinuxOptions.{key} must not be "
                          "set", node, "seLinuxOptions")
    apparmor = _map(context.get("appArmorProfile")).get("type")
    if apparmor is not None and apparmor not in APPARMOR_TYPES:
        yield Problem("AppArmor", BASELINE, f"{prefix}appArmorProfile {apparmor} is not "
                      "allowed", node, "appArmorProfile")


def _annotations(metadata: Mapping[str, Any]) -> Iterator[Problem]:
    annotations = _map(metadata.get("annotations"))
    for key, value in annotations.items():
        if str(key).startswith(APPARMOR_ANNOTATION) and not (
                value == "runtime/default" or str(value).startswith("localhost/")):
            yield Problem("AppArmor", BASELINE, f"annotation {key}: {value} is not allowed",
                          annotations, key)


def _container(container: Mapping[str, Any], pod: Mapping[str, Any],
               linux: bool) -> Iterator[Problem]:
    own = _map(container.get("securityContext"))

    def at(key: str) -> tuple[Any, str]:
        """Where a setting is, or where it belongs: the securityContext, else the name."""
        if key in own:
            return own, key
        return (container, "securityContext") if "securityContext" in container \
            else (container, "name")

    def effective(key: str) -> Any:
        return own[key] if key in own else pod.get(key)

    if own.get("privileged") is True:
        yield Problem("Privileged Containers", BASELINE, "privileged must not be true", own,
                      "privileged")
    if _map(own.get("windowsOptions")).get("hostProcess") is True:
        yield Problem("HostProcess", BASELINE, "windowsOptions.hostProcess must not be true",
                      own, "windowsOptions")
    if own.get("procMount", "Default") != "Default":
        yield Problem("/proc Mount Type", BASELINE, "procMount must be Default", own,
                      "procMount")
    capabilities = _map(own.get("capabilities"))
    added = [str(item) for item in _list(capabilities.get("add"))]
    beyond_baseline = [item for item in added if item not in BASELINE_CAPABILITIES]
    if beyond_baseline:
        yield Problem("Capabilities", BASELINE,
                      f"capabilities must not add {', '.join(beyond_baseline)}",
                      capabilities, "add")
    beyond_restricted = [item for item in added
                         if item in BASELINE_CAPABILITIES - RESTRICTED_CAPABILITIES]
    if linux and beyond_restricted:
        yield Problem("Capabilities", RESTRICTED,
                      f"capabilities must not add {', '.join(beyond_restricted)} "
                      "(only NET_BIND_SERVICE)", capabilities, "add")
    if linux and "ALL" not in [str(item) for item in _list(capabilities.get("drop"))]:
        node, key = (capabilities, "drop") if "drop" in capabilities else at("capabilities")
        yield Problem("Capabilities", RESTRICTED, "capabilities must drop ALL", node, key)
    for port in _list(container.get("ports")):
        if isinstance(port, Mapping) and port.get("hostPort") not in (None, 0):
            yield Problem("Host Ports", BASELINE, f"hostPort {port['hostPort']} must not be "
                          "set", port, "hostPort")
    yield from _shared(own, "", own)
    if linux and own.get("allowPrivilegeEscalation") is not False:
        yield Problem("Privilege Escalation", RESTRICTED,
                      "allowPrivilegeEscalation must be false", *at("allowPrivilegeEscalation"))
    if linux and effective("runAsNonRoot") is not True:
        yield Problem("Running as Non-root", RESTRICTED, "runAsNonRoot must be true",
                      *at("runAsNonRoot"))
    seccomp = _map(effective("seccompProfile")).get("type")
    if linux and seccomp not in ALLOWED_SECCOMP and seccomp != "Unconfined":
        yield Problem("Seccomp", RESTRICTED, "seccompProfile type must be RuntimeDefault or "
                      f"Localhost, not {seccomp}", *at("seccompProfile"))
    user = effective("runAsUser")
    if linux and (not isinstance(user, int) or isinstance(user, bool) or user < 0):
        yield Problem("Numeric user", GOLDEN_PATH, "runAsUser must be a numeric non-root UID",
                      *at("runAsUser"))
    if linux and own.get("readOnlyRootFilesystem") is not True:
        yield Problem("Read-only root filesystem", GOLDEN_PATH,
                      "readOnlyRootFilesystem must be true (mount an emptyDir where it writes)",
                      *at("readOnlyRootFilesystem"))


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
