from __future__ import annotations

from pathlib import Path

import pytest


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


@pytest.fixture
def validators_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stand in for the offline validators (tests/delivery/test_validators.py tests them)."""
    from paved.delivery import validators

    monkeypatch.setattr(validators, "validate_project",
                        lambda project, **_: validators.ValidationReport(project, ("yamllint",),
                                                                         (), ()))
