"""A workflow's `run:` steps, run locally as GitHub would run them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from paved.delivery.workflow_run import StepRun, run_workflow
from paved.errors import InputError
from tests.helpers import build_file_tree

CHECKOUT = "actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8"


def project(tmp_path: Path, workflow: str, **files: str) -> Path:
    return build_file_tree(tmp_path / "repo", {".github/workflows/ci.yml": workflow, **files})


def outcome(steps: tuple[StepRun, ...]) -> list[tuple[str, str, str, str]]:
    return [(step.job, step.name, step.status, step.detail.splitlines()[0] if step.detail
             else "") for step in steps]


def test_steps_run_in_order_with_githubs_shell_env_and_files(tmp_path: Path) -> None:
    repo = project(tmp_path, f"""\
name: ci
on: pull_request
env: {{LEVEL: workflow, KEEP: workflow}}
jobs:
  test:
    runs-on: ubuntu-latest
    env: {{LEVEL: job}}
    defaults: {{run: {{working-directory: sub}}}}
    steps:
      - uses: {CHECKOUT}
      - name: Export
        env: {{LEVEL: step}}
        run: |
          echo "$LEVEL $KEEP $CI $GITHUB_ACTIONS $(basename "$PWD")" > "$GITHUB_WORKSPACE/seen"
          echo "FROM_STEP=one" >> "$GITHUB_ENV"
          mkdir -p "$RUNNER_TEMP/bin" && printf '#!/bin/sh\\necho tool\\n' > "$RUNNER_TEMP/bin/tool"
          chmod +x "$RUNNER_TEMP/bin/tool" && echo "$RUNNER_TEMP/bin" >> "$GITHUB_PATH"
      - name: Read back
        run: echo "$FROM_STEP $(tool) ${{{{ env.FROM_STEP }}}}" >> "$GITHUB_WORKSPACE/seen"
      - name: Fails only with pipefail
        run: false | true
      - name: After a failure
        run: echo never
      - name: On failure
        if: failure()
        run: echo cleanup >> "$GITHUB_WORKSPACE/seen"
""", **{"sub/.keep": ""})
    run = run_workflow(repo, ".github/workflows/ci.yml")
    assert outcome(run.steps) == [
        ("test", CHECKOUT, "passed", "the project directory is the checkout"),
        ("test", "Export", "passed", ""),
        ("test", "Read back", "passed", ""),
        ("test", "Fails only with pipefail", "failed", "exited 1:"),
        ("test", "After a failure", "skipped", "an earlier step failed"),
        ("test", "On failure", "passed", ""),
    ]
    assert (repo / "seen").read_text() == ("step workflow true true sub\none tool one\n"
                                           "cleanup\n")
    assert [step.name for step in run.failed] == ["Fails only with pipefail"]


def test_container_and_cluster_steps_are_skipped_with_the_jobs_needing_them(
        tmp_path: Path) -> None:
    repo = project(tmp_path, """\
on: pull_request
jobs:
  drill:
    needs: [build, test]
    runs-on: ubuntu-latest
    steps:
      - run: scripts/drill.sh
  build:
    runs-on: ubuntu-latest
    steps:
      - name: Build
        run: docker build --tag ci-image .
  test:
    runs-on: ubuntu-latest
    steps:
      - name: Unit
        run: echo "a docker image is not needed here"
      - name: Deploy script
        run: scripts/deploy.sh
""", **{"scripts/drill.sh": "#!/usr/bin/env bash\nset -e\nkind create cluster\n",
        "scripts/deploy.sh": "#!/usr/bin/env bash\nif true; then\n  kubectl apply -f x\nfi\n"})
    run = run_workflow(repo, ".github/workflows/ci.yml")
    assert outcome(run.steps) == [
        ("build", "Build", "skipped", "needs docker, which is not run locally"),
        ("test", "Unit", "passed", ""),
        ("test", "Deploy script", "skipped", "needs kubectl, which is not run locally"),
        ("drill", "(job)", "skipped", "needs job build, which was skipped"),
    ]
    assert run.failed == () and run.incomplete == ()


def test_what_cannot_be_evaluated_here_is_skipped_and_makes_the_run_incomplete(
        tmp_path: Path) -> None:
    repo = project(tmp_path, """\
on: pull_request
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: astral-sh/setup-uv@v6
      - name: Expression
        run: echo "${{ github.event.pull_request.title }}"
      - name: Condition
        if: github.event_name == 'push'
        run: echo push
      - name: Secret or token
        env: {TOKEN: "${{ secrets.MISSING || 'fallback' }}"}
        run: test "$TOKEN" = fallback
  release:
    uses: ./.github/workflows/release.yml
""")
    run = run_workflow(repo, ".github/workflows/ci.yml")
    assert outcome(run.steps) == [
        ("test", "astral-sh/setup-uv@v6", "skipped",
         "action astral-sh/setup-uv is not run locally"),
        ("test", "Expression", "skipped", "uses the expression ${{ "
         "github.event.pull_request.title }}, not evaluated locally"),
        ("test", "Condition", "skipped",
         "if: github.event_name == 'push' is not evaluated locally"),
        ("test", "Secret or token", "passed", ""),
        ("release", "(job)", "skipped", "calls the reusable workflow "
         "./.github/workflows/release.yml: run it on its own"),
    ]
    assert len(run.incomplete) == 4


def test_setup_python_puts_that_python_first_or_says_which_ran(tmp_path: Path) -> None:
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    repo = project(tmp_path, f"""\
on: pull_request
jobs:
  test:
    strategy:
      matrix:
        python: ["{here}", "2.9"]
    runs-on: ubuntu-latest
    steps:
      - uses: actions/setup-python@e797f83bcb11b83ae66e0230d6156d7c80228e7c
        with: {{python-version: "${{{{ matrix.python }}}}"}}
      - run: python3 -c "import sys; print('%d.%d' % sys.version_info[:2])" >> versions
""")
    run = run_workflow(repo, ".github/workflows/ci.yml")
    assert [step.status for step in run.steps] == ["passed"] * 4
    assert (repo / "versions").read_text() == f"{here}\n{here}\n"
    assert [step.job for step in run.steps] == [f"test ({here})"] * 2 + ["test (2.9)"] * 2
    (note,) = run.notes
    assert note.startswith("the workflow asks for Python 2.9; ran with 3.")


@pytest.mark.parametrize(("condition", "ran"), [("always()", True), ("success()", True),
                                                ("failure()", False)])
def test_status_conditions(tmp_path: Path, condition: str, ran: bool) -> None:
    repo = project(tmp_path, f"""\
on: pull_request
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - if: {condition}
        run: touch ran
""")
    run_workflow(repo, ".github/workflows/ci.yml")
    assert (repo / "ran").exists() is ran


@pytest.mark.parametrize("text", ["[a, list]\n", "on: push\n", "jobs: {test: {steps: run}}\n"])
def test_what_is_not_a_workflow_is_refused_in_one_line(tmp_path: Path, text: str) -> None:
    repo = project(tmp_path, text)
    with pytest.raises(InputError) as raised:
        run_workflow(repo, ".github/workflows/ci.yml")
    assert str(raised.value) == (".github/workflows/ci.yml is not a GitHub workflow: `jobs` "
                                 "must map names to jobs whose `steps` are a list of mappings")


def test_setup_node_uses_the_node_here_and_says_when_its_major_differs(tmp_path: Path) -> None:
    here = subprocess.run(["node", "--version"], capture_output=True, text=True,
                          check=True).stdout.strip().removeprefix("v")
    major = here.split(".")[0]
    repo = project(tmp_path, f"""\
on: pull_request
jobs:
  test:
    strategy:
      matrix:
        node: ["{major}", "8"]
    runs-on: ubuntu-latest
    steps:
      - uses: actions/setup-node@a0853c24544627f65ddf259abe73b1d18a591444
        with: {{node-version: "${{{{ matrix.node }}}}"}}
      - run: node -e "console.log(process.versions.node)" >> versions
""")
    run = run_workflow(repo, ".github/workflows/ci.yml")
    assert [(step.status, step.detail) for step in run.steps] == [
        ("passed", f"Node.js {here}"), ("passed", "")] * 2
    assert (repo / "versions").read_text() == f"{here}\n{here}\n"
    assert run.notes == (f"the workflow asks for Node.js 8; ran with {here}, the one here",)


def test_upload_artifact_finds_its_files_or_fails_as_github_would(tmp_path: Path) -> None:
    upload = "actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02"
    repo = project(tmp_path, f"""\
on: pull_request
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: mkdir -p out && echo '{{}}' > out/journal.json
      - uses: {upload}
        with: {{name: journal, path: out/journal.json, if-no-files-found: error}}
      - uses: {upload}
        with: {{name: logs, path: "out/*.log"}}
      - uses: {upload}
        with: {{name: report, path: "out/report.json\\n!out/skip", if-no-files-found: error}}
""")
    run = run_workflow(repo, ".github/workflows/ci.yml")
    assert outcome(run.steps)[1:] == [
        ("test", upload, "passed", "would upload out/journal.json"),
        ("test", upload, "passed", "nothing to upload at out/*.log (if-no-files-found: warn)"),
        ("test", upload, "failed",
         "no file matches out/report.json to upload (if-no-files-found: error)"),
    ]
