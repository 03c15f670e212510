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


def test_the_bundled_catalog_is_trusted_however_its_name_was_read() -> None:
    # As read from a command line or a file: equal to "bundled", not the same object.
    assert config.is_trusted("".join(["bund", "led"]))


def test_an_entry_that_cannot_be_trusted_does_not_end_the_list(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _trust(tmp_path, monkeypatch, "ext::sh -c evil", "https://git.example.com/acme/*")
    assert config.is_trusted("https://git.example.com/acme/cat")


def test_a_root_prefix_trusts_every_path(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    _trust(tmp_path, monkeypatch, "/*")
    assert config.is_trusted("/srv/catalogs/main")
    assert not config.is_trusted("https://git.example.com/acme/cat")


@pytest.mark.parametrize(("source", "canonical"), [
    ("git.example.com::acme/cat", None),  # git's transport::address form runs a helper
    ("/srv/catalogs/main\n", None),
    ("/srv/catalogs/\x1bmain", None),
    ("C:\\catalogs\\main", None),
    ("", None),
    ("git@git.example.com:", "ssh://git@git.example.com/"),
    ("git@git.example.com:-x/cat.git", "ssh://git@git.example.com/-x/cat"),
    ("git@git.example.com:../cat", None),
    ("git.example.com:acme/cat", "ssh://git.example.com/acme/cat"),
    ("HTTPS://Git.Example.com/acme//cat/", "https://git.example.com/acme/cat"),
    ("ftp://git.example.com/acme/cat", None),
    ("file://elsewhere/srv/cat", None),
])
def test_canonical_sources(source: str, canonical: str | None) -> None:
    assert config.canonical_source(source) == canonical


def test_a_source_with_a_transport_helper_is_never_trusted(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _trust(tmp_path, monkeypatch, "git.example.com::acme/*")
    assert not config.is_trusted("git.example.com::acme/cat")


def test_where_paved_keeps_its_cache_and_finds_its_catalog(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(config.CACHE_ENV)
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert config.cache_dir() == tmp_path / ".cache" / "paved"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert config.cache_dir() == tmp_path / "xdg" / "paved"
    monkeypatch.setenv(config.CACHE_ENV, str(tmp_path / "explicit"))
    assert config.cache_dir() == tmp_path / "explicit"
    assert config.default_catalog_source() == "bundled"
    monkeypatch.setenv(config.CATALOG_ENV, "https://git.example.com/acme/cat.git")
    assert config.default_catalog_source() == "https://git.example.com/acme/cat.git"
    assert config.config_file() == tmp_path / ".config" / "paved" / "config.yml"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdgc"))
    assert config.config_file() == tmp_path / "xdgc" / "paved" / "config.yml"


def test_a_config_file_without_a_trust_list_trusts_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "config.yml"
    monkeypatch.setenv(config.CONFIG_ENV, str(path))
    for text in ("", "other: 1\n", "- a list\n", "trusted_catalogs:\n"):
        path.write_text(text)
        assert config.trusted_catalogs() == ()
    path.write_text("trusted_catalogs: [/srv/a, 7]\n")
    assert config.trusted_catalogs() == ("/srv/a", "7")


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


def test_a_relative_path_is_read_from_the_working_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert config.canonical_source("catalogs/main") == f"{tmp_path.resolve()}/catalogs/main"
    assert config.canonical_source("a:b") == f"{tmp_path.resolve()}/a:b"  # one letter: no host
