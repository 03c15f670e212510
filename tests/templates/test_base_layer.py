"""The base layer as its readers read it: the SLO file, CODEOWNERS and catalog-info.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest

from paved import yaml
from paved.create import create_service
from paved.delivery import codeowners
from paved.delivery.validators import validate_project
from paved.errors import InputError
from tests.helpers import ROOT

TOOLS = ROOT / ".tools"  # gitignored; the npm validators are installed here once


@pytest.mark.parametrize(("percent", "target"), [
    (99.9, 0.999), (99.99, 0.9999), (99.95, 0.9995), (90, 0.9), (99.999, 0.99999),
])
def test_slo_targets_are_the_objective_without_float_noise(
        tmp_path: Path, percent: float, target: float) -> None:
    dest = tmp_path / "svc"
    create_service("svc", dest=dest, data={"slo_availability": percent}, use_git=False)
    text = (dest / "slo.yaml").read_text()
    availability = yaml.loads_all(text)[0]
    (objective,) = availability["spec"]["objectives"]
    assert objective["target"] == target
    assert f"      target: {target}\n" in text


@pytest.fixture(scope="module")
def with_github_team(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("team") / "payments-api"
    create_service("payments-api", dest=dest, data={"owner": "acme/team-payments"},
                   use_git=False)
    return dest


def test_codeowners_names_the_github_team_with_its_organisation(with_github_team: Path) -> None:
    text = (with_github_team / "CODEOWNERS").read_text()
    rules = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert rules == ["* @acme/team-payments"]
    assert codeowners.check(text) == []
    info = yaml.load(with_github_team / "catalog-info.yaml")
    assert info["spec"]["owner"] == "team-payments"  # Backstage's group is the team's slug


def test_without_an_organisation_codeowners_names_no_user(rendered_service: Path) -> None:
    text = (rendered_service / "CODEOWNERS").read_text()
    assert [line for line in text.splitlines() if line and not line.startswith("#")] == []
    assert "# * @<org>/team-payments\n" in text
    assert codeowners.check(text) == []


@pytest.mark.parametrize("owner", ["acme/team-payments", "Acme-Corp/payments", "team-payments"])
def test_the_owner_question_takes_a_github_team(tmp_path: Path, owner: str) -> None:
    create_service("svc", dest=tmp_path / "svc", data={"owner": owner}, use_git=False)


@pytest.mark.parametrize("owner", ["/team", "acme/", "acme/x/y", "-acme/x", "acme--corp/x",
                                   "@acme/x", "acme/Team"])
def test_the_owner_question_refuses_what_github_would_not_name(tmp_path: Path,
                                                               owner: str) -> None:
    with pytest.raises(InputError, match=r"^invalid answer for 'owner': must be a GitHub team"):
        create_service("svc", dest=tmp_path / "svc", data={"owner": owner}, use_git=False)


@pytest.mark.parametrize("variant", ["defaults", "github team"])
def test_backstage_and_github_accept_the_ownership_files(
        variant: str, rendered_service: Path, with_github_team: Path) -> None:
    project = rendered_service if variant == "defaults" else with_github_team
    report = validate_project(project, tools_dir=TOOLS, only={"backstage", "codeowners"})
    assert (report.ran, report.findings, report.missing) == (("backstage", "codeowners"), (), ())
