"""The bundled catalog's optional layers (postgres, monitoring), as rendered and as added
and removed later. Their own tests (a real PostgreSQL server; the dashboard's metrics
against the service's /metrics) run in the bundled catalog's template test, whose
`payments-api` answer set carries both (tests/templates/test_bundled_catalog.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from paved.authoring.lint_files import answer_sets
from paved.catalog import GoldenPath
from paved.check import run_check
from paved.check.rule import Status
from paved.create import create_service
from paved.delivery.validators import validate_project
from paved.project import read_record
from paved.update.update import LayerChange, update_project
from tests.helpers import ROOT, commit_all, git, tree

TOOLS = ROOT / ".tools"
LONGEST_NAME = "a" + "-b" * 31


@pytest.fixture(scope="module")
def with_both(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("optional") / LONGEST_NAME
    create_service(LONGEST_NAME, dest=dest, data={"owner": "acme/team-payments"},
                   use_git=False, with_layers=("postgres", "monitoring"))
    return dest


def test_every_validator_passes_with_both_optional_layers(with_both: Path) -> None:
    report = validate_project(with_both, tools_dir=TOOLS)
    assert (report.findings, report.missing) == ((), ())
    assert {"prometheus-rules", "grafana-dashboards"} <= set(report.ran)


def test_promtool_finds_a_broken_query_and_an_alert_that_does_not_fire(
        with_both: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "monitoring").mkdir()
    dashboard = (with_both / "monitoring/dashboard.json").read_text()
    (project / "monitoring/dashboard.json").write_text(
        dashboard.replace("sum(rate(server_shed_requests_total", "sum(rate(server_shed_requests_total[", 1))
    rules = (with_both / "monitoring/alerts.rules.yaml").read_text()
    (project / "monitoring/alerts.rules.yaml").write_text(rules.replace("for: 5m", "for: 15m", 1))
    (project / "monitoring/alerts.rules.test.yaml").write_text(
        (with_both / "monitoring/alerts.rules.test.yaml").read_text())
    report = validate_project(project, only={"prometheus-rules", "grafana-dashboards"})
    found = {(finding.validator, finding.file) for finding in report.findings}
    assert found == {("grafana-dashboards", "monitoring/dashboard.json"),
                     ("prometheus-rules", "monitoring/alerts.rules.test.yaml")}
    messages = {finding.validator: finding.message for finding in report.findings}
    assert messages["grafana-dashboards"].startswith("a query does not parse: ")
    assert "ServiceDown" in messages["prometheus-rules"]


def test_paved_check_scores_100_with_both_optional_layers(with_both: Path) -> None:
    """The layers' settings are within paved check's bounds (the database's connect timeout
    is libpq's, in whole seconds: not held to a service call's 1 s TCP connect)."""
    report = run_check(with_both)
    assert {r.id: r.status for r in report.results if r.status not in (
        Status.PASS, Status.NOT_APPLICABLE, Status.UNVERIFIED)} == {}
    assert report.score == 100


@pytest.mark.parametrize("layer", ["postgres", "monitoring"])
def test_add_then_remove_with_team_edits_in_between(tmp_path: Path, layer: str) -> None:
    repo = create_service("orders", dest=tmp_path / "orders", data={"owner": "acme/orders"}).path
    pyproject = (repo / "pyproject.toml").read_text()
    (repo / "pyproject.toml").write_text(pyproject.replace('    "pytest>=8",\n',
                                                           '    "pytest>=8",\n    "respx>=0.21",\n'))
    commit_all(repo, "team: a test dependency")
    before = tree(repo)

    added = update_project(repo, layers=LayerChange(added=(layer,)))
    assert added.commit is not None and added.conflicts == ()
    assert read_record(repo).layers[-1] == layer
    new_files = sorted(set(tree(repo)) - set(before))
    if layer == "postgres":
        assert new_files == ["src/orders/migrations/0001_create_items.sql",
                             "src/orders/platform/database.py", "tests/test_database.py"]
        assert '"psycopg[binary]>=3.2"' in (repo / "pyproject.toml").read_text()
        assert '"respx>=0.21"' in (repo / "pyproject.toml").read_text()
        deployment = (repo / "deploy/base/deployment.yaml").read_text()
        assert "secretKeyRef:\n                  name: orders-database\n" in deployment
        assert "- port: 5432" in (repo / "deploy/base/networkpolicy.yaml").read_text()
        edited = "src/orders/migrations/0001_create_items.sql"
    else:
        assert new_files == ["monitoring/alerts.rules.test.yaml", "monitoring/alerts.rules.yaml",
                             "monitoring/dashboard.json", "tests/test_monitoring.py"]
        edited = "monitoring/dashboard.json"
    # The team changes one of the layer's files.
    (repo / edited).write_text((repo / edited).read_text() + "\n")
    commit_all(repo, "team: our change")

    removed = update_project(repo, layers=LayerChange(removed=(layer,)))
    assert removed.commit is not None
    assert {file.path: file.action for file in removed.files if file.action == "kept"} == {
        edited: "kept"}
    # Everything else is as before the layer came: the team's edits included.
    after = tree(repo)
    assert sorted(set(after) - set(before)) == [edited]
    assert {path: text for path, text in after.items() if path != edited} == before
    assert read_record(repo).layers == ("base", "python-service", "ci-github", "deploy-k8s")
    assert git(repo, "status", "--porcelain") == ""


def test_template_test_renders_every_optional_layer() -> None:
    path = GoldenPath(name="svc", description="", layers=("core",), optional_layers=("db", "mq"),
                      test_matrix={"small": {"service_name": "x", "with": ["db"]}, "plain": {}})
    assert {name: (p.layers, given) for name, (p, given) in answer_sets(path).items()} == {
        "small": (("core", "db"), {"service_name": "x"}),
        "plain": (("core",), {}),
        "optional-layers": (("core", "mq"), {}),
    }
