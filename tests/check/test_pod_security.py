"""The one Pod Security checker, control by control, through both of its users.

Every control of the Pod Security Standards' baseline and restricted profiles
(https://kubernetes.io/docs/concepts/security/pod-security-standards/) and the
golden path's two extra settings is broken once in a pod that meets them all;
`podsecurity.check` (the delivery validator) and `paved check`'s
`security/pod-security-restricted` must both report it, in the same words.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from paved import yaml
from paved.check.rule import Status
from paved.delivery import podsecurity
from tests.check.fixture_repo import change, line, results

DEPLOYMENT = "deploy/base/deployment.yaml"
RULE = "security/pod-security-restricted"
CONTAINER = """\
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: [ALL]
"""

# control: (text replaced in the compliant deployment, its replacement, the line pointed at,
#           profile, control, message)
CASES = {
    "host-network": ("      securityContext:\n        runAsNonRoot",
                     "      hostNetwork: true\n      securityContext:\n        runAsNonRoot",
                     "hostNetwork:", "baseline", "Host Namespaces",
                     "hostNetwork must not be true"),
    "host-pid": ("      securityContext:\n        runAsNonRoot",
                 "      hostPID: true\n      securityContext:\n        runAsNonRoot",
                 "hostPID:", "baseline", "Host Namespaces", "hostPID must not be true"),
    "host-ipc": ("      securityContext:\n        runAsNonRoot",
                 "      hostIPC: true\n      securityContext:\n        runAsNonRoot",
                 "hostIPC:", "baseline", "Host Namespaces", "hostIPC must not be true"),
    "privileged": ("allowPrivilegeEscalation: false",
                   "allowPrivilegeEscalation: false\n            privileged: true",
                   "privileged:", "baseline", "Privileged Containers",
                   "container app: privileged must not be true"),
    "capabilities-add": ("drop: [ALL]", "drop: [ALL]\n              add: [SYS_ADMIN]",
                         "add: [SYS_ADMIN]", "baseline", "Capabilities",
                         "container app: capabilities must not add SYS_ADMIN"),
    "host-path": ("      containers:",
                  "      volumes:\n        - name: root\n          hostPath: {path: /}\n"
                  "      containers:", "hostPath:", "baseline", "HostPath Volumes",
                  "volume root: hostPath volumes are not allowed"),
    "host-port": ("          env:", "          ports:\n            - containerPort: 80\n"
                                    "              hostPort: 80\n          env:",
                  "hostPort: 80", "baseline", "Host Ports",
                  "container app: hostPort 80 must not be set"),
    "host-process": ("allowPrivilegeEscalation: false",
                     "allowPrivilegeEscalation: false\n"
                     "            windowsOptions: {hostProcess: true}",
                     "windowsOptions:", "baseline", "HostProcess",
                     "container app: windowsOptions.hostProcess must not be true"),
    "apparmor": ("allowPrivilegeEscalation: false",
                 "allowPrivilegeEscalation: false\n"
                 "            appArmorProfile: {type: Unconfined}",
                 "appArmorProfile:", "baseline", "AppArmor",
                 "container app: appArmorProfile Unconfined is not allowed"),
    "apparmor-annotation": ("  template:\n    spec:",
                            "  template:\n    metadata:\n      annotations:\n"
                            "        container.apparmor.security.beta.kubernetes.io/app: "
                            "unconfined\n    spec:",
                            "container.apparmor", "baseline", "AppArmor",
                            "annotation container.apparmor.security.beta.kubernetes.io/app: "
                            "unconfined is not allowed"),
    "selinux-type": ("allowPrivilegeEscalation: false",
                     "allowPrivilegeEscalation: false\n"
                     "            seLinuxOptions: {type: spc_t}",
                     "seLinuxOptions:", "baseline", "SELinux",
                     "container app: seLinuxOptions.type spc_t is not allowed"),
    "selinux-user": ("allowPrivilegeEscalation: false",
                     "allowPrivilegeEscalation: false\n"
                     "            seLinuxOptions: {user: system_u}",
                     "seLinuxOptions:", "baseline", "SELinux",
                     "container app: seLinuxOptions.user must not be set"),
    "proc-mount": ("allowPrivilegeEscalation: false",
                   "allowPrivilegeEscalation: false\n            procMount: Unmasked",
                   "procMount:", "baseline", "/proc Mount Type",
                   "container app: procMount must be Default"),
    "seccomp-unconfined": ("type: RuntimeDefault", "type: Unconfined", "seccompProfile:",
                           "baseline", "Seccomp",
                           "pod securityContext: seccompProfile must not be Unconfined"),
    "sysctls": ("        runAsUser: 10001",
                "        runAsUser: 10001\n        sysctls:\n"
                "          - {name: kernel.msgmax, value: '65536'}",
                "sysctls:", "baseline", "Sysctls", "sysctl kernel.msgmax is not in the safe set"),
    "volume-types": ("      containers:",
                     "      volumes:\n        - name: data\n          nfs: {server: nfs, path: /}\n"
                     "      containers:", "nfs:", "restricted", "Volume Types",
                     "volume data: nfs volumes are not allowed"),
    "privilege-escalation": ("allowPrivilegeEscalation: false",
                             "allowPrivilegeEscalation: true", "allowPrivilegeEscalation:",
                             "restricted", "Privilege Escalation",
                             "container app: allowPrivilegeEscalation must be false"),
    "run-as-non-root": ("runAsNonRoot: true", "runAsNonRoot: false",
                        "          securityContext:", "restricted", "Running as Non-root",
                        "container app: runAsNonRoot must be true"),
    "run-as-user-root": ("allowPrivilegeEscalation: false",
                         "allowPrivilegeEscalation: false\n            runAsUser: 0",
                         "runAsUser: 0", "restricted", "Running as Non-root user",
                         "container app: runAsUser must not be 0"),
    "seccomp-unset": ("        seccompProfile:\n          type: RuntimeDefault\n", "",
                      "          securityContext:", "restricted", "Seccomp",
                      "container app: seccompProfile type must be RuntimeDefault or "
                      "Localhost, not None"),
    "drop-all": ("drop: [ALL]", "drop: [NET_RAW]", "drop: [NET_RAW]", "restricted",
                 "Capabilities", "container app: capabilities must drop ALL"),
    "capabilities-add-restricted": ("drop: [ALL]", "drop: [ALL]\n              add: [CHOWN]",
                                    "add: [CHOWN]", "restricted", "Capabilities",
                                    "container app: capabilities must not add CHOWN "
                                    "(only NET_BIND_SERVICE)"),
    "numeric-user": ("        runAsUser: 10001\n", "", "          securityContext:",
                     "golden-path", "Numeric user",
                     "container app: runAsUser must be a numeric non-root UID"),
    "read-only-root": ("readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false",
                       "readOnlyRootFilesystem:", "golden-path", "Read-only root filesystem",
                       "container app: readOnlyRootFilesystem must be true (mount an emptyDir "
                       "where it writes)"),
}


def test_the_compliant_pod_meets_every_control(repo: Path) -> None:
    assert podsecurity.check(yaml.loads_all((repo / DEPLOYMENT).read_text(),
                                            source=DEPLOYMENT)) == []
    assert results(repo)[RULE].status is Status.PASS


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_control_is_reported_by_both_users_of_the_checker(repo: Path, case: str) -> None:
    old, new, at, profile, control, message = CASES[case]
    change(repo, DEPLOYMENT, old, new)
    manifests = yaml.loads_all((repo / DEPLOYMENT).read_text(), source=DEPLOYMENT)
    assert [(v.resource, v.profile, v.control, v.message)
            for v in podsecurity.check(manifests)] == [
        ("Deployment/payments-api", profile, control, message)]
    result = results(repo)[RULE]
    assert result.status is Status.FAIL
    assert [(e.path, e.line, e.message) for e in result.evidence] == [
        (DEPLOYMENT, line(repo, DEPLOYMENT, at),
         f"Deployment/payments-api {message} ({profile}: {control})")]


def test_check_fails_a_pod_adding_sys_admin_on_host_port_80(repo: Path) -> None:
    """Issue 17: `paved check` scored 100 on this pod while the validator reported both."""
    change(repo, DEPLOYMENT, "drop: [ALL]", "drop: [ALL]\n              add: [SYS_ADMIN]")
    change(repo, DEPLOYMENT, "          env:",
           "          ports:\n            - containerPort: 80\n              hostPort: 80\n"
           "          env:")
    result = results(repo)[RULE]
    assert result.status is Status.FAIL
    assert result.message == "2 Pod Security violation(s)"
    assert [e.message for e in result.evidence] == [
        "Deployment/payments-api container app: capabilities must not add SYS_ADMIN "
        "(baseline: Capabilities)",
        "Deployment/payments-api container app: hostPort 80 must not be set "
        "(baseline: Host Ports)"]


def test_windows_pods_are_exempt_from_the_linux_only_controls(repo: Path) -> None:
    change(repo, DEPLOYMENT, "            allowPrivilegeEscalation: false\n", "")
    change(repo, DEPLOYMENT, "      securityContext:\n        runAsNonRoot",
           "      os: {name: windows}\n      securityContext:\n        runAsNonRoot")
    assert podsecurity.check(yaml.loads_all((repo / DEPLOYMENT).read_text(),
                                            source=DEPLOYMENT)) == []


def test_init_and_ephemeral_containers_are_checked() -> None:
    pod = {"kind": "Pod", "metadata": {"name": "p"}, "spec": {
        "securityContext": {"runAsNonRoot": True, "runAsUser": 1,
                            "seccompProfile": {"type": "RuntimeDefault"}},
        "initContainers": [{"name": "init", "securityContext": {"privileged": True}}],
        "containers": [{"name": "app", "securityContext": {
            "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]}}}],
        "ephemeralContainers": [{"name": "debug", "ports": [{"hostPort": 22}],
                                 "securityContext": {
            "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]}}}]}}
    assert [v.message for v in podsecurity.check([pod])] == [
        "container init: privileged must not be true",
        "container init: capabilities must drop ALL",
        "container init: allowPrivilegeEscalation must be false",
        "container init: readOnlyRootFilesystem must be true (mount an emptyDir where it "
        "writes)",
        "container debug: hostPort 22 must not be set"]
