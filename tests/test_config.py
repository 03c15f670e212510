from __future__ import annotations

from pathlib import Path

import pytest

from paved import config
from paved.errors import InputError


def test_trusted_catalogs_exact_or_by_prefix(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    assert config.is_trusted("/srv/catalogs/main") is False  # no config file at all
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    (tmp_path / "paved").mkdir()
    (tmp_path / "paved" / "config.yml").write_text(
        "trusted_catalogs:\n  - https://example.com/catalog.git\n  - /srv/catalogs/*\n")
    assert config.is_trusted("https://example.com/catalog.git")
    assert config.is_trusted("/srv/catalogs/main")
    assert not config.is_trusted("https://example.com/other.git")


def test_a_malformed_trust_list_is_refused(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "config.yml"
    path.write_text("trusted_catalogs: everything\n")
    monkeypatch.setenv(config.CONFIG_ENV, str(path))
    with pytest.raises(InputError, match="trusted_catalogs must be a list"):
        config.is_trusted("/srv/catalogs/main")
