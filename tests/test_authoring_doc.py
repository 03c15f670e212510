"""docs/authoring.md is a walk-through: run its `sh` blocks, in order, as a user would."""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT, bundled_catalog_repo, git, run_cli

DOC = ROOT / "docs" / "authoring.md"
_BLOCK = re.compile(r"(<!-- pending: (?P<pending>[^>]*) -->\n)?```sh\n(?P<body>.*?)```",
                    re.DOTALL)


def blocks() -> list[tuple[str | None, list[str]]]:
    """(pending reason or None, command lines) of every sh block, in order."""
    return [(match["pending"], [line for line in match["body"].splitlines() if line.strip()])
            for match in _BLOCK.finditer(DOC.read_text(encoding="utf-8"))]


def run_walkthrough(work: Path, monkeypatch: pytest.MonkeyPatch, *, pending: bool) -> Path:
    bundled_catalog_repo(work / "platform-catalog", tag="v0.1.0")
    cwd = work
    for reason, lines in blocks():
        if reason and not pending:
            continue
        for line in lines:
            args = shlex.split(line)
            if args[0] == "cd":
                cwd = (cwd / args[1]).resolve()
            elif args[0] == "git":
                git(cwd, *args[1:])
            else:
                assert args[0] == "paved", line
                monkeypatch.chdir(cwd)
                result = run_cli(args[1:])
                assert result.exit_code == 0, f"{line}\n{result.stdout}{result.stderr}"
    return work


@pytest.fixture(autouse=True)
def _no_colleague_modules(monkeypatch: pytest.MonkeyPatch) -> None:
    # The validators step has its own tests; keep this walk-through fast and offline.
    monkeypatch.setitem(sys.modules, "paved.validators", None)


def test_the_walkthrough_adds_tests_and_releases_a_layer(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = run_walkthrough(tmp_path, monkeypatch, pending=False)
    catalog = work / "platform-catalog"
    assert "dashboards" in (catalog / "paved-catalog.yml").read_text()
    assert git(catalog, "tag").split() == ["v0.1.0", "v0.2.0"]
    assert git(catalog, "status", "--porcelain") == ""
    changelog = (catalog / "CHANGELOG.md").read_text()
    assert "## 0.2.0\n\n- Add the dashboards layer to python-service\n\n## 0.1.0" in changelog
    assert (work / "payments-api" / ".paved.yml").is_file()


def test_the_walkthrough_rolls_the_layer_out(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    if run_cli(["update", "--help"]).exit_code != 0:
        pytest.skip("pending: paved update (issue 5)")
    work = run_walkthrough(tmp_path, monkeypatch, pending=True)
    assert (work / "payments-api" / "docs" / "dashboards.md").is_file()


def test_every_pending_block_names_its_issue() -> None:
    assert [reason for reason, _ in blocks() if reason] == ["paved update (issue 5)"]
