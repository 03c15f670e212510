from __future__ import annotations

from pathlib import Path

import pytest

from paved.errors import InputError
from paved.fleet.sources import RepoRef, named, open_source, select
from tests.helpers import build_file_tree, git


def test_list_file_reads_paths_and_urls(tmp_path: Path) -> None:
    listed = build_file_tree(tmp_path, {"fleet/repos.txt": (
        "# services\n../a/payments-api\n\nhttps://git.example/acme/orders.git  # by URL\n"
        "git@github.com:acme/payments-api.git\n../a/payments-api\n")}) / "fleet/repos.txt"
    refs = open_source(str(listed))
    assert [ref.name for ref in refs[:2]] == ["payments-api", "orders"]
    assert refs[0] == RepoRef("payments-api", str(tmp_path / "a/payments-api"))
    assert refs[1].location == "https://git.example/acme/orders.git"
    assert refs[2].name.startswith("payments-api-") and len(refs) == 3


def test_list_file_refuses_two_entries_on_a_line(tmp_path: Path) -> None:
    listed = build_file_tree(tmp_path, {"repos.txt": "a b\n"}) / "repos.txt"
    with pytest.raises(InputError, match=r"repos.txt:1: expected one path or URL, got 'a b'$"):
        open_source(str(listed))


def test_directory_finds_generated_repos_only(tmp_path: Path) -> None:
    build_file_tree(tmp_path, {"team/svc/.paved.yml": "x", "other/.paved.yml": "x",
                               "plain/README.md": "x", "nogit/.paved.yml": "x"})
    for repo in ("team/svc", "other", "plain"):
        git(tmp_path / repo, "init", "--quiet")
    assert [ref.name for ref in open_source(str(tmp_path))] == ["other", "svc"]


def test_nothing_found_or_nothing_there(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no repositories found"):
        open_source(str(tmp_path))
    with pytest.raises(InputError, match=r"not a file listing repositories, a directory, "
                                         r"github:ORG nor gitlab:GROUP$"):
        open_source(str(tmp_path / "missing"))


def test_select_by_name_then_limit() -> None:
    refs = [RepoRef(name, f"/r/{name}") for name in ("a", "b", "c", "d")]
    assert select(refs, ["d", "b"]) == [refs[1], refs[3]]  # fleet order
    assert select(refs, None, 2) == refs[:2]
    assert select(refs, ["c", "d"], 1) == [refs[2]]


def test_each_repo_links_to_its_page() -> None:
    refs = named(["git@github.com:acme/api.git", "https://tok@gitlab.example/g/sub/web.git",
                  "/srv/git/db.git", "ssh://git@host:2222/x/y.git"])
    assert [ref.url for ref in refs] == ["https://github.com/acme/api",
                                         "https://gitlab.example/g/sub/web",
                                         "file:///srv/git/db.git", "ssh://git@host:2222/x/y.git"]
