"""docs/authoring.md is a walk-through: run its `sh` blocks, in order, as a user would."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from tests.helpers import ROOT, bundled_catalog_repo, git, run_cli

DOC = ROOT / "docs" / "authoring.md"
_BLOCK = re.compile(r"```sh\n(?P<body>.*?)```", re.DOTALL)


def blocks() -> list[list[str]]:
    """The command lines of every sh block, in order."""
    return [[line for line in match["body"].splitlines() if line.strip()]
            for match in _BLOCK.finditer(DOC.read_text(encoding="utf-8"))]


def run_walkthrough(work: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bundled_catalog_repo(work / "platform-catalog", tag="v0.1.0")
    cwd = work
    for lines in blocks():
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


def test_the_walkthrough_adds_tests_releases_and_rolls_out_a_layer(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = run_walkthrough(tmp_path, monkeypatch)
    catalog = work / "platform-catalog"
    assert "dashboards" in (catalog / "paved-catalog.yml").read_text()
    assert git(catalog, "tag").split() == ["v0.1.0", "v0.2.0"]
    assert git(catalog, "status", "--porcelain") == ""
    changelog = (catalog / "CHANGELOG.md").read_text()
    # The bundled catalog's notes under `## Unreleased` open the section, then the subjects.
    section = changelog.split("## 0.2.0\n\n")[1].split("\n## ")[0]
    assert section.endswith("\n- Add the dashboards layer to python-service\n")
    assert "## Unreleased" not in changelog
    service = work / "payments-api"
    assert (service / "docs" / "dashboards.md").is_file()
    assert "  - dashboards\n" in (service / ".paved.yml").read_text()
    assert "version: 0.2.0\n" in (service / ".paved.yml").read_text()
