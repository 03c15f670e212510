"""`paved adopt`: a repository paved did not generate, linked to a golden path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from paved.adopt.adopt import adopt_project
from paved.git import Repository
from paved.project import read_record
from paved.update import journal
from paved.update.update import update_project
from tests.helpers import (
    CORE_COPIER,
    CORE_MANIFEST,
    NO_CPR,
    ROOT,
    build_file_tree,
    commit_all,
    expect_shown,
    git,
    run_cli,
    snapshot,
    tree,
)

# A hand-written FastAPI service, as teams write them before any golden path.
HAND_WRITTEN = {
    "pyproject.toml": '[project]\nname = "orders"\nversion = "1.4.0"\n'
                      'description = "Takes and tracks customer orders."\n'
                      'requires-python = ">=3.11"\ndependencies = ["fastapi>=0.110", '
                      '"uvicorn>=0.29"]\n',
    "CODEOWNERS": "* @acme/team-orders\n",
    "README.md": "# orders\n\nOur order service.\n",
    "Dockerfile": "FROM python:3.11-slim\nCOPY . /app\nRUN pip install /app\nEXPOSE 8000\n"
                  'CMD ["uvicorn", "orders.main:app", "--host", "0.0.0.0"]\n',
    "src/orders/__init__.py": "",
    "src/orders/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
                          '@app.get("/orders")\ndef orders() -> list[str]:\n    return []\n',
    "tests/test_orders.py": "def test_nothing() -> None:\n    assert True\n",
}
OWN = ["CODEOWNERS", "Dockerfile", "README.md", "pyproject.toml", "src/orders/__init__.py",
       "src/orders/main.py"]


@pytest.fixture
def hand_written(tmp_path: Path) -> Path:
    repo = build_file_tree(tmp_path / "orders", HAND_WRITTEN)
    commit_all(repo, "orders, by hand")
    return repo


def test_dry_run_reports_each_file_and_the_rules_it_fixes_and_writes_nothing(
        hand_written: Path) -> None:
    before = snapshot(hand_written)
    done = run_cli(["adopt", str(hand_written), "--json"])
    assert done.exit_code == 0, done.stderr
    report = json.loads(done.stdout)
    assert snapshot(hand_written) == before
    assert report["guessed"] == {"service_name": "orders", "owner": "acme/team-orders",
                                 "description": "Takes and tracks customer orders.",
                                 "python_version": "3.11", "http_port": 8000}
    statuses = {file["path"]: file["status"] for file in report["files"]}
    assert sorted(path for path, status in statuses.items()
                  if status == "you have your own version") == OWN
    assert statuses[".paved.yml"] == "the golden path would add it"
    assert statuses["docs/runbook.md"] == "the golden path would add it"
    assert "tests/test_orders.py" not in statuses  # the team's own, not the golden path's
    assert not any(status == "already as the golden path" for status in statuses.values())
    dockerfile = next(file for file in report["files"] if file["path"] == "Dockerfile")
    assert dockerfile["diff"].startswith("--- a/Dockerfile\n+++ b/Dockerfile\n")
    assert "-FROM python:3.11-slim\n" in dockerfile["diff"]
    fixed = [fix["id"] for fix in report["fixes"]]
    assert {"ownership/runbook", "ownership/postmortem-template", "ownership/tests-in-ci",
            "observability/metrics-endpoint"} <= set(fixed)
    runbook = next(file for file in report["files"] if file["path"] == "docs/runbook.md")
    assert runbook["fixes"] == ["ownership/runbook"]

    text = run_cli(["adopt", str(hand_written)])
    lines = text.stdout.splitlines()
    assert "     you have your own version  Dockerfile" in lines
    assert "  the golden path would add it  docs/runbook.md  (fixes ownership/runbook)" in lines
    assert lines[-1] == (f"Dry run: {hand_written} would adopt golden path python-service "
                         f"(catalog bundled v{report['version']}; layers base, python-service, "
                         "ci-github, deploy-k8s); nothing was changed. Run with --apply to "
                         "make the change.")


def test_apply_adds_what_is_missing_keeps_yours_and_records_the_pristine_base(
        hand_written: Path) -> None:
    head = git(hand_written, "rev-parse", "HEAD").strip()
    done = run_cli(["adopt", str(hand_written), "--apply", "--take", "Dockerfile"])
    assert done.exit_code == 0, done.stderr
    assert git(hand_written, "status", "--porcelain") == ""
    parents = git(hand_written, "log", "-1", "--format=%P").split()
    assert parents[0] == head and len(parents) == 2
    pristine = parents[1]
    assert git(hand_written, "rev-parse", "refs/paved/pristine").strip() == pristine
    assert "Paved-Pristine: " in git(hand_written, "log", "-1", "--format=%B", pristine)
    files = tree(hand_written)
    for path in OWN:
        if path != "Dockerfile":
            assert files[path] == HAND_WRITTEN[path]
    assert files["Dockerfile"] == git(hand_written, "show", f"{pristine}:Dockerfile")
    assert files["tests/test_orders.py"] == HAND_WRITTEN["tests/test_orders.py"]
    assert "docs/runbook.md" in files and ".github/workflows/ci.yml" in files
    record = read_record(hand_written)
    assert (record.golden_path, record.answers["service_name"], record.answers["owner"]) == (
        "python-service", "orders", "acme/team-orders")
    assert git(hand_written, "log", "-1", "--format=%s").strip() == (
        f"Adopt golden path python-service (paved catalog v{record.version})")
    # The repo is now one paved update knows: up to date, with its base stored; the files
    # the team kept are drift from that base.
    assert update_project(hand_written).up_to_date
    status = run_cli(["status", str(hand_written), "--json"])
    assert sorted(item["path"] for item in json.loads(status.stdout)["drift"]) == sorted(
        path for path in OWN if path != "Dockerfile")




def test_a_later_update_merges_only_what_the_template_changes(tmp_path: Path) -> None:
    catalog = build_file_tree(tmp_path / "catalog", {
        "copier.yml": CORE_COPIER, "paved-catalog.yml": CORE_MANIFEST,
        "layers/core/Makefile": "test:\n\tpytest\n",
        "layers/core/README.md.jinja": "# {{ service_name }}\n\nrun: make test\n\nsee docs/\n",
        "layers/core/ci.yml": "ci: 1\n",
        "layers/core/lint.cfg": "max-line = 100\n"})
    commit_all(catalog, "v1", tag="v1.0.0")
    repo = build_file_tree(tmp_path / "svc", {
        "Makefile": "test:\n\tpytest -x\n",  # the team's own version
        "README.md": "# svc\n\nrun: make test\n\nsee docs/\n\nOur notes.\n",  # + notes
        "ci.yml": "ci: 1\n",  # already as the golden path
        "app.py": "print('hi')\n"})
    commit_all(repo, "by hand")
    adopted = adopt_project(repo, catalog_source=str(catalog), apply=True)
    assert {file.path: file.status for file in adopted.files} == {
        ".paved.yml": "the golden path would add it",
        "Makefile": "you have your own version",
        "README.md": "you have your own version",
        "ci.yml": "already as the golden path",
        "lint.cfg": "the golden path would add it"}
    build_file_tree(catalog, {"layers/core/README.md.jinja": "# {{ service_name }}\n\n"
                                                             "run: make check\n\nsee docs/\n",
                              "layers/core/ci.yml": "ci: 2\n"})
    commit_all(catalog, "v2", tag="v2.0.0")
    result = update_project(repo)
    assert {file.path: file.action for file in result.files} == {
        ".paved.yml": "updated", "README.md": "merged", "ci.yml": "updated"}
    # The Makefile the template did not change stays the team's; the README gets only the
    # template's change, with the team's notes.
    assert (repo / "Makefile").read_text() == "test:\n\tpytest -x\n"
    assert (repo / "README.md").read_text() == (
        "# svc\n\nrun: make check\n\nsee docs/\n\nOur notes.\n")
    assert (repo / "lint.cfg").read_text() == "max-line = 100\n"


def test_branch_leaves_the_current_branch_as_it_was(tmp_path: Path) -> None:
    catalog = build_file_tree(tmp_path / "catalog", {
        "copier.yml": CORE_COPIER, "paved-catalog.yml": CORE_MANIFEST,
        "layers/core/ci.yml": "ci: 1\n"})
    commit_all(catalog, "v1", tag="v1.0.0")
    repo = build_file_tree(tmp_path / "svc", {"app.py": "x = 1\n"})
    commit_all(repo, "by hand")
    main = git(repo, "rev-parse", "HEAD")
    result = adopt_project(repo, catalog_source=str(catalog), apply=True, branch="paved/adopt")
    assert (result.branch, git(repo, "branch", "--show-current")) == ("paved/adopt",
                                                                       "paved/adopt\n")
    assert git(repo, "rev-parse", "main") == main
    assert git(repo, "rev-parse", "paved/adopt").strip() == result.commit
    done = run_cli(["adopt", str(tmp_path / "svc"), "--catalog", str(catalog), "--apply",
                    "--branch", "paved/adopt"])
    assert (done.exit_code, done.stderr) == (1, f"paved: error: {repo} is on the paved road "
                                                "already (it has .paved.yml); use paved update\n")


def test_refusals(hand_written: Path, tmp_path: Path) -> None:
    (hand_written / "docs").mkdir()
    (hand_written / "docs/runbook.md").write_text("untracked work\n")
    done = run_cli(["adopt", str(hand_written), "--apply"])
    assert done.exit_code == 1
    assert "docs/runbook.md" in done.stderr and "untracked" in done.stderr
    assert (hand_written / "docs/runbook.md").read_text() == "untracked work\n"
    (hand_written / "docs/runbook.md").unlink()
    done = run_cli(["adopt", str(hand_written), "--take", "nope.txt"])
    assert (done.exit_code, done.stderr) == (
        1, "paved: error: --take nope.txt: the golden path renders no such file\n")
    (hand_written / "README.md").write_text("changed\n")
    done = run_cli(["adopt", str(hand_written), "--apply"])
    assert (done.exit_code, done.stderr) == (
        1, f"paved: error: {hand_written} has uncommitted changes to tracked files "
           "(README.md); commit or stash them first\n")
    git(hand_written, "checkout", "README.md")
    assert run_cli(["adopt", str(hand_written), "--apply", "--defaults"]).exit_code == 0
    again = run_cli(["adopt", str(hand_written)])
    assert (again.exit_code, again.stderr) == (
        1, f"paved: error: {hand_written} is on the paved road already (it has .paved.yml); "
           "use paved update\n")


def test_killed_at_any_point_adoption_is_rolled_back(tmp_path: Path) -> None:
    catalog = build_file_tree(tmp_path / "catalog", {
        "copier.yml": CORE_COPIER, "paved-catalog.yml": CORE_MANIFEST,
        "layers/core/README.md": "# svc\n", "layers/core/ci.yml": "ci: 1\n",
        "layers/core/docs/runbook.md": "runbook\n", "layers/core/Makefile": "test:\n"})
    commit_all(catalog, "v1", tag="v1.0.0")
    repo = build_file_tree(tmp_path / "svc", {"README.md": "# ours\n", "app.py": "x = 1\n"})
    commit_all(repo, "by hand")
    before = snapshot(repo)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    step = 0
    while True:
        step += 1
        env["PAVED_TEST_KILL_AT"] = str(step)
        done = subprocess.run([sys.executable, "-m", "paved", "adopt", str(repo), "--apply",
                               "--catalog", str(catalog), "--take", "README.md"], env=env,
                              capture_output=True, text=True, check=False)
        if done.returncode != -9:
            break
        with journal.locked(Repository(repo)):  # what the next paved command does first
            pass
        assert snapshot(repo) == before, f"killed at step {step}"
    assert done.returncode == 0, done.stderr
    assert step > 8  # each file written, the index, the refs were a kill point
    assert (repo / "README.md").read_text() == "# svc\n"
    assert read_record(repo).golden_path == "svc"


def test_a_copier_generated_repo_keeps_its_answers(tmp_path: Path) -> None:
    """Generated by copier itself from a plain copier template; paved adopts it from the same
    template, with the answers copier recorded, finds every file as it renders it (copier's
    answers file too), and the next update merges only the template's change."""
    import copier

    template = build_file_tree(tmp_path / "template", {
        "copier.yml": "_answers_file: .copier-answers.yml\nservice_name:\n  type: str\n"
                      "  default: svc\nport:\n  type: int\n  default: 8000\n",
        "{{ _copier_conf.answers_file }}.jinja": "{{ _copier_answers | to_nice_yaml }}",
        "README.md.jinja": "# {{ service_name }} on {{ port }}\n\nrun: make\n",
        "app.py.jinja": "PORT = {{ port }}\n"})
    commit_all(template, "template", tag="v1.0.0")
    repo = tmp_path / "billing"
    copier.run_copy(str(template), str(repo), data={"service_name": "billing", "port": 9100},
                    defaults=True, quiet=True, vcs_ref="v1.0.0")
    (repo / "README.md").write_text((repo / "README.md").read_text() + "\nOur notes.\n")
    commit_all(repo, "generated by copier, then edited")
    result = adopt_project(repo, catalog_source=str(template), apply=True)
    assert result.guessed == {"service_name": "billing", "port": 9100}
    assert {file.path: file.status for file in result.files} == {
        ".copier-answers.yml": "already as the golden path",
        ".paved.yml": "the golden path would add it",
        "README.md": "you have your own version",
        "app.py": "already as the golden path"}
    assert read_record(repo).answers == {"service_name": "billing", "port": 9100}
    build_file_tree(template, {"app.py.jinja": "PORT = {{ port }}\nHOST = '0.0.0.0'\n"})
    commit_all(template, "v2", tag="v2.0.0")
    updated = update_project(repo)
    assert {file.path: file.action for file in updated.files
            if file.path not in (".paved.yml", ".copier-answers.yml")} == {"app.py": "updated"}
    assert (repo / "README.md").read_text() == "# billing on 9100\n\nrun: make\n\nOur notes.\n"
    assert (repo / "app.py").read_text() == "PORT = 9100\nHOST = '0.0.0.0'\n"


def test_on_a_terminal_each_guess_is_offered_to_confirm_or_change(tmp_path: Path) -> None:
    import pexpect

    catalog = build_file_tree(tmp_path / "catalog", {
        "copier.yml": CORE_COPIER + "owner:\n  type: str\n  help: Owning team\n  default: nobody\n",
        "paved-catalog.yml": CORE_MANIFEST, "layers/core/README.md.jinja": "# {{ owner }}\n"})
    commit_all(catalog, "v1", tag="v1.0.0")
    repo = build_file_tree(tmp_path / "Billing_API", {"CODEOWNERS": "* @acme/billing\n"})
    commit_all(repo, "by hand")
    terminal = pexpect.spawn(sys.executable, ["-m", "paved", "adopt", str(repo), "--catalog",
                                              str(catalog), "--apply"],
                             env={**os.environ, "PYTHONPATH": str(ROOT), "TERM": "xterm",
                                  **NO_CPR}, encoding="utf-8", timeout=60)
    expect_shown(terminal, "service_name billing-api")
    terminal.send("\r")  # the guess from the folder's name, confirmed
    expect_shown(terminal, "owner: Owning team acme/billing")
    terminal.send("\x15acme/payments\r")  # the guess from CODEOWNERS, changed
    terminal.expect(pexpect.EOF)
    terminal.close()
    assert terminal.exitstatus == 0, terminal.before
    assert read_record(repo).answers == {"service_name": "billing-api", "owner": "acme/payments"}
