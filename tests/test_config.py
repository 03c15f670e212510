from __future__ import annotations

from pathlib import Path

import pytest

from paved import config
from paved.errors import InputError
from tests.helpers import commit_all, run_cli
from tests.hostile import COPIER, SENTINEL, hostile_catalog


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


# --- trust is decided on canonical sources (issue 21, item 3) ---

def _trust(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *entries: str) -> None:
    path = tmp_path / "config.yml"
    path.write_text("trusted_catalogs:\n" + "".join(f"  - {entry}\n" for entry in entries))
    monkeypatch.setenv(config.CONFIG_ENV, str(path))


@pytest.mark.parametrize(("trusted", "source", "expected"), [
    ("file:///srv/trusted/*", "file:///srv/trusted/../evil", False),
    ("file:///srv/trusted/*", "file:///srv/trusted/cat", True),
    ("/srv/trusted/*", "/srv/trusted/../evil", False),
    ("/srv/trusted/*", "/srv/trusted/./a/../cat/", True),
    ("/srv/trusted/*", "file:///srv/trusted/cat", True),
    ("/srv/trusted/*", "/srv/trusted-evil/cat", False),
    ("https://git.example.com/acme/*", "https://git.example.com/acme/../evil/cat.git", False),
    ("https://git.example.com/acme/*", "https://git.example.com/acme/%2e%2e/evil", False),
    ("https://git.example.com/acme/*", "https://git.example.com/acme/%252e%252e/evil", False),
    ("https://git.example.com/acme/*", "https://GIT.example.com/acme/cat.git", True),
    ("https://git.example.com/acme/*", "https://git.example.com/acme//x?../../evil", False),
    ("https://git.example.com/acme/cat.git", "https://git.example.com/acme/cat", True),
    ("git@git.example.com:acme/*", "git@git.example.com:acme/../evil", False),
    ("git@git.example.com:acme/*", "git@git.example.com:acme/cat.git", True),
    ("git@git.example.com:acme/*", "ssh://git@git.example.com/acme/cat", True),
    ("/srv/trusted/*", "ext::sh -c touch% /srv/trusted/x", False),
])
def test_no_source_climbs_out_of_a_trusted_prefix(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 trusted: str, source: str,
                                                 expected: bool) -> None:
    _trust(tmp_path, monkeypatch, trusted)
    assert config.is_trusted(source) is expected


def test_a_link_inside_a_trusted_folder_is_judged_where_it_leads(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "trusted").mkdir()
    (tmp_path / "evil").mkdir()
    (tmp_path / "trusted/innocent").symlink_to(tmp_path / "evil")
    _trust(tmp_path, monkeypatch, f"{tmp_path}/trusted/*")
    assert not config.is_trusted(str(tmp_path / "trusted/innocent"))


def test_the_bundled_catalog_is_trusted() -> None:
    assert config.is_trusted("bundled")


TASK_CATALOG = {"copier.yml": "_tasks:\n  - touch {sentinel}\n" + COPIER}


def test_new_from_a_file_url_climbing_out_of_a_trusted_prefix_runs_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sentinel = tmp_path / SENTINEL
    hostile_catalog(tmp_path / "evil",
                    {"copier.yml": TASK_CATALOG["copier.yml"].format(sentinel=sentinel)})
    (tmp_path / "trusted").mkdir()
    _trust(tmp_path, monkeypatch, f"file://{tmp_path}/trusted/*")
    result = run_cli(["new", "service", "svc", "--defaults", "--dest", str(tmp_path / "svc"),
                      "--catalog", f"file://{tmp_path}/trusted/../evil"])
    assert (result.exit_code, result.stderr) == (
        1, "paved: error: the catalog wants to run code (tasks); pass --trust only if you "
           "trust this catalog\n")
    assert not sentinel.exists()


def test_update_trusts_the_catalog_it_opens_not_what_paved_yml_spells(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # `.paved.yml` is the team's to edit: naming `<trusted>/../evil` must not make a
    # catalog outside the trusted folder trusted.
    sentinel = tmp_path / SENTINEL
    good = hostile_catalog(tmp_path / "trusted/good")
    hostile_catalog(tmp_path / "evil",
                    {"copier.yml": TASK_CATALOG["copier.yml"].format(sentinel=sentinel)},
                    tag="v2.0.0")
    _trust(tmp_path, monkeypatch, f"{tmp_path}/trusted/*")
    project = tmp_path / "svc"
    assert run_cli(["new", "service", "svc", "--defaults", "--dest", str(project),
                    "--catalog", str(good)]).exit_code == 0
    record = project / ".paved.yml"
    record.write_text(record.read_text().replace(f"catalog: {good}",
                                                 f"catalog: {tmp_path}/trusted/../evil"))
    commit_all(project, "point at another catalog")
    result = run_cli(["update", str(project)])
    assert (result.exit_code, result.stderr) == (
        1, "paved: error: the catalog wants to run code (tasks); pass --trust only if you "
           "trust this catalog\n")
    assert not sentinel.exists()
