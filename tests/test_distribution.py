"""paved installs under a name of its own: PyPI's `paved` is an unrelated project."""

from __future__ import annotations

import tomllib
from importlib import metadata

import paved
from tests.helpers import ROOT


def test_the_distribution_is_paved_cli_and_the_command_is_paved() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["name"] == paved.DISTRIBUTION == "paved-cli"
    assert list(project["scripts"]) == ["paved"]
    installed = metadata.distribution(paved.DISTRIBUTION)
    assert installed.version == paved.__version__
    assert [entry.name for entry in installed.entry_points if entry.group == "console_scripts"
            ] == ["paved"]
