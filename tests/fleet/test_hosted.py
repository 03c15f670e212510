"""Fleets listed from a GitHub organisation or a GitLab group, and the state of their
update proposals in `paved fleet status`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from paved.errors import InputError
from paved.fleet.sources import RepoRef, open_source
from tests.fleet.conftest import hosted_at_v1
from tests.fleet.fake_api import BareRepo
from tests.fleet.fake_github import FakeGitHub
from tests.fleet.fake_gitlab import FakeGitLab
from tests.helpers import git, run_cli


def plain_remote(tmp_path: Path, name: str) -> Path:
    """A bare repository with one commit and no .paved.yml."""
    work = tmp_path / "plain-work" / name
    work.mkdir(parents=True)
    git(work, "init", "--quiet", "--initial-branch", "main")
    (work / "README.md").write_text("not paved\n")
    git(work, "add", ".")
    git(work, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "--quiet", "-m", "plain")
    remote = tmp_path / "plain" / f"{name}.git"
    git(tmp_path, "clone", "--quiet", "--bare", str(work), str(remote))
    return remote


def test_an_organisation_is_listed_page_by_page_by_topic(tmp_path: Path,
                                                        github: FakeGitHub) -> None:
    shared = BareRepo(plain_remote(tmp_path, "shared").resolve())
    for number in range(105):
        github.add_repo(f"acme/svc-{number:03}", BareRepo(shared.path, topics=["paved"]))
    github.add_repo("acme/old", BareRepo(shared.path, topics=["paved"], archived=True))
    github.add_repo("acme/web", BareRepo(shared.path, topics=["frontend"]))
    refs = open_source("github:acme", topic="paved")
    assert [ref.name for ref in refs] == [f"svc-{number:03}" for number in range(105)]
    assert refs[0] == RepoRef("svc-000", str(shared.path), url="https://github.test/acme/svc-000",
                              host="github", slug="acme/svc-000")
    pages = github.requested("GET", "/orgs/acme/repos")
    assert [call.query.get("page") for call in pages] == [None, ["2"]]
    assert not github.requested("GET", "/repos/")  # the topic needs no request per repo


def test_without_a_topic_the_repos_with_a_record_are_taken(tmp_path: Path,
                                                          github: FakeGitHub) -> None:
    _, remote = hosted_at_v1(tmp_path)
    github.add_repo("acme/svc", BareRepo(remote))
    github.add_repo("acme/plain", BareRepo(plain_remote(tmp_path, "plain")))
    github.add_repo("acme/gone", BareRepo(remote, archived=True))
    assert [ref.slug for ref in open_source("github:acme")] == ["acme/svc"]
    assert [call.path for call in github.requested("GET", "/repos/")] == [
        "/repos/acme/plain/contents/.paved.yml", "/repos/acme/svc/contents/.paved.yml"]


def test_a_group_and_its_subgroups_are_listed_page_by_page(tmp_path: Path,
                                                          gitlab: FakeGitLab) -> None:
    shared = plain_remote(tmp_path, "shared")
    for number in range(103):
        gitlab.add_project(f"platform/team-{number % 2}/svc-{number:03}",
                           BareRepo(shared, topics=["paved"]))
    gitlab.add_project("platform/web", BareRepo(shared, topics=["frontend"]))
    gitlab.add_project("other/svc", BareRepo(shared, topics=["paved"]))
    refs = open_source("gitlab:platform", topic="paved")
    assert len(refs) == 103
    assert refs[0] == RepoRef("svc-000", str(shared), url="https://gitlab.test/platform/team-0/"
                              "svc-000", host="gitlab", slug="platform/team-0/svc-000")
    pages = gitlab.requested("GET", f"/api/v4/groups/{gitlab.groups['platform']}/projects")
    assert [call.query.get("page") for call in pages] == [None, ["2"]]
    assert pages[0].query["topic"] == ["paved"]


def test_a_group_without_a_topic_takes_the_projects_with_a_record(tmp_path: Path,
                                                                 gitlab: FakeGitLab) -> None:
    _, remote = hosted_at_v1(tmp_path, owner="platform")
    gitlab.add_project("platform/svc", BareRepo(remote))
    gitlab.add_project("platform/plain", BareRepo(plain_remote(tmp_path, "plain")))
    assert [ref.slug for ref in open_source("gitlab:platform")] == ["platform/svc"]


def test_an_unknown_organisation_or_group_is_one_line(github: FakeGitHub,
                                                     gitlab: FakeGitLab) -> None:
    result = run_cli(["fleet", "status", "--from", "github:nobody"])
    assert (result.exit_code, result.stderr) == (
        1, "paved: error: GitHub refused the repositories of nobody: 404 Not Found\n")
    result = run_cli(["fleet", "status", "--from", "gitlab:nobody"])
    assert (result.exit_code, result.stderr) == (
        1, "paved: error: GitLab refused the projects of nobody: 404 404 Group Not Found\n")


def test_a_topic_needs_a_host(tmp_path: Path) -> None:
    listed = tmp_path / "repos.txt"
    listed.write_text("a\n")
    with pytest.raises(InputError, match=r"^--topic filters github:ORG and gitlab:GROUP "
                                         r"sources, not .*repos.txt$"):
        open_source(str(listed), topic="paved")


def test_status_shows_each_update_pull_request_and_its_state(tmp_path: Path,
                                                             github: FakeGitHub) -> None:
    for name in ("api", "web", "db", "old", "ok"):
        _, remote = hosted_at_v1(tmp_path / name, name=name)
        github.add_repo(f"acme/{name}", BareRepo(remote))
    assert run_cli(["fleet", "update", "--from", "github:acme", "--push", "--publish",
                    "github"]).exit_code == 0
    api, web, db, old, ok = (github.pull(f"acme/{name}", 1)
                             for name in ("api", "web", "db", "old", "ok"))
    github.check_runs[web["head"]["sha"]] = [
        {"id": 1, "name": "ci", "status": "completed", "conclusion": "failure"}]
    github.statuses[db["head"]["sha"]] = [{"state": "pending", "context": "ci"}]
    github.check_runs[ok["head"]["sha"]] = [
        {"id": 2, "name": "ci", "status": "completed", "conclusion": "success"}]
    old.update(state="closed", merged_at="2026-02-01T00:00:00Z")
    result = run_cli(["fleet", "status", "--from", "github:acme"])
    assert result.exit_code == 0, result.stderr
    rows = [line.split("  ")[0] + " | " + line.rstrip().rsplit("  ", 1)[-1]
            for line in result.stdout.splitlines()[1:6]]
    assert rows == ["api | #1 open", "db | #1 checks pending", "ok | #1 checks passing",
                    "old | #1 merged", "web | #1 checks failing"]
    assert result.stdout.splitlines()[-1] == (
        "Update proposals: 1 open, 1 checks pending, 1 checks passing, 1 merged, "
        "1 checks failing.")
    data = json.loads(run_cli(["fleet", "status", "--from", "github:acme", "--json"]).stdout)
    assert data["repos"][0]["proposal"] == {
        "number": 1, "url": "https://github.test/acme/api/pull/1", "state": "open",
        "title": "Update svc from paved catalog v1.0.0 to v2.0.0",
        "head_sha": api["head"]["sha"]}
    assert data["proposals"] == {"open": 1, "checks pending": 1, "checks passing": 1,
                                 "merged": 1, "checks failing": 1}
    assert [call.query["state"] for call in github.requested("GET", "/repos/acme/api/pulls")
            ][-1] == ["all"]


def test_status_shows_merge_requests_and_pipelines(tmp_path: Path, gitlab: FakeGitLab) -> None:
    _, remote = hosted_at_v1(tmp_path, owner="platform")
    gitlab.add_project("platform/svc", BareRepo(remote))
    listed = tmp_path / "repos.txt"
    listed.write_text(f"{remote}\n")
    run_cli(["fleet", "update", "--from", str(listed), "--push", "--publish", "gitlab"])
    gitlab.pipelines[("platform/svc", 1)] = "failed"
    result = run_cli(["fleet", "status", "--from", str(listed), "--publish", "gitlab", "--json"])
    assert json.loads(result.stdout)["repos"][0]["proposal"]["state"] == "checks failing"
    gitlab.merge_request("platform/svc", 1)["state"] = "merged"
    result = run_cli(["fleet", "status", "--from", str(listed), "--publish", "gitlab", "--json"])
    assert json.loads(result.stdout)["repos"][0]["proposal"]["state"] == "merged"


def test_a_users_repos_are_listed_when_the_name_is_no_organisation(tmp_path: Path,
                                                                  github: FakeGitHub) -> None:
    _, remote = hosted_at_v1(tmp_path)
    github.add_repo("alice/svc", BareRepo(remote), user=True)
    github.add_repo("alice/plain", BareRepo(plain_remote(tmp_path, "plain")), user=True)
    assert [ref.slug for ref in open_source("github:alice")] == ["alice/svc"]
    assert [(call.path, call.status) for call in github.requested("GET")][:3] == [
        ("/orgs/alice/repos", 404), ("/users/alice", 200), ("/users/alice/repos", 200)]


def test_an_empty_repository_has_no_record(tmp_path: Path, github: FakeGitHub) -> None:
    """GitHub answers 409 for a file of a repository with no commit yet."""
    _, remote = hosted_at_v1(tmp_path)
    empty = tmp_path / "empty.git"
    git(tmp_path, "init", "--quiet", "--bare", str(empty))
    github.add_repo("acme/empty", BareRepo(empty))
    github.add_repo("acme/svc", BareRepo(remote))
    assert [ref.slug for ref in open_source("github:acme")] == ["acme/svc"]
    assert [call.status for call in github.requested(
        "GET", "/repos/acme/empty/contents/.paved.yml")] == [409]


@pytest.mark.parametrize("status", [403, 451])
def test_a_record_github_refuses_to_show_fails_the_listing_in_one_line(
        tmp_path: Path, github: FakeGitHub, status: int) -> None:
    _, remote = hosted_at_v1(tmp_path)
    github.add_repo("acme/svc", BareRepo(remote))
    github.fail(status, {"message": "Repository access blocked"},
                prefix="/repos/acme/svc/contents/")
    result = run_cli(["fleet", "status", "--from", "github:acme"])
    assert (result.exit_code, result.stderr) == (
        1, f"paved: error: GitHub refused the repositories of acme: {status} Repository "
           "access blocked\n")
