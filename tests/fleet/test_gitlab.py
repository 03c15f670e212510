"""The GitLab publisher, through the real python-gitlab, against the fake GitLab on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from paved.fleet import hosting, hosts
from tests.fleet.conftest import hosted_at_v1
from tests.fleet.fake_api import BareRepo
from tests.fleet.fake_gitlab import FakeGitLab
from tests.helpers import git, release_v3, run_cli


def fleet_of_one(tmp_path: Path, gitlab: FakeGitLab,
                 files: dict[str, str] | None = None) -> tuple[Path, Path, Path]:
    """platform/svc at v1 on the fake GitLab (its catalog at v2) and a list file naming it."""
    catalog, remote = hosted_at_v1(tmp_path, owner="platform", files=files)
    gitlab.add_project("platform/svc", BareRepo(remote))
    listed = tmp_path / "repos.txt"
    listed.write_text(f"{remote}\n")
    return catalog, remote, listed


def update(listed: Path, *extra: str) -> dict[str, object]:
    result = run_cli(["fleet", "update", "--from", str(listed), "--push", "--publish", "gitlab",
                      "--json", *extra])
    [repo] = json.loads(result.stdout)["repos"]
    return {"exit": result.exit_code, **repo}


def test_opens_a_merge_request_with_labels_and_reviewers(tmp_path: Path,
                                                         gitlab: FakeGitLab) -> None:
    _, remote, listed = fleet_of_one(tmp_path, gitlab,
                                     {"CODEOWNERS": "* @alice @platform/team\n"})
    gitlab.users["alice"] = 41
    result = update(listed)
    assert (result["exit"], result["outcome"], result["reason"]) == (
        0, "updated", "published: https://gitlab.test/platform/svc/-/merge_requests/1; "
                      "reviewers not requested (not GitLab users): @platform/team")
    request = gitlab.merge_request("platform/svc", 1)
    assert request["title"] == "Update svc from paved catalog v1.0.0 to v2.0.0"
    assert (request["source_branch"], request["target_branch"]) == ("paved/update", "main")
    assert request["description"].startswith(
        "<!-- paved:update -->\nThis merge request brings the golden path `svc` ")
    assert "paved keeps this merge request up to date" in request["description"]
    assert (request["labels"], request["reviewers"]) == (["paved"], [{"id": 41}])
    [create] = gitlab.requested("POST", "/api/v4/projects/platform%2Fsvc/merge_requests")
    assert create.body["remove_source_branch"] is True
    assert {call.auth for call in gitlab.calls} == {"test-token"}
    assert git(remote, "branch", "--list", "paved/*").strip() == "paved/update"


def test_a_newer_version_refreshes_the_open_merge_request(tmp_path: Path,
                                                          gitlab: FakeGitLab) -> None:
    catalog, _, listed = fleet_of_one(tmp_path, gitlab)
    update(listed, "--label", "platform")
    release_v3(catalog)
    result = update(listed, "--label", "platform", "--label", "v3")
    assert (result["outcome"], result["reason"]) == (
        "updated", "refreshed: https://gitlab.test/platform/svc/-/merge_requests/1")
    assert len(gitlab.requests["platform/svc"]) == 1
    request = gitlab.merge_request("platform/svc", 1)
    assert request["title"] == "Update svc from paved catalog v1.0.0 to v3.0.0"
    assert request["labels"] == ["platform", "v3"]


def test_only_an_opened_merge_request_is_refreshed(tmp_path: Path, gitlab: FakeGitLab) -> None:
    """GitLab lists merge requests in every state unless asked: paved asks for `opened`."""
    _, remote, listed = fleet_of_one(tmp_path, gitlab)
    git(remote, "branch", "paved/update", "main")
    gitlab.open_request("platform/svc", "paved/update", state="merged")
    result = update(listed)
    assert result["published"] == "https://gitlab.test/platform/svc/-/merge_requests/2"
    assert gitlab.merge_request("platform/svc", 1)["title"] == "From paved/update"
    assert [call.query.get("state") for call in gitlab.requested(
        "GET", "/api/v4/projects/platform%2Fsvc/merge_requests")] == [["opened"]]


def test_a_merge_request_opened_meanwhile_is_found_after_409(tmp_path: Path,
                                                            gitlab: FakeGitLab) -> None:
    _, remote, _ = fleet_of_one(tmp_path, gitlab)
    git(remote, "branch", "paved/update", "main")
    gitlab.open_request("platform/svc", "paved/update")
    gitlab.fail(200, [], prefix="/api/v4/projects/platform%2Fsvc/merge_requests", method="GET")
    proposed = hosts.connect("gitlab").propose(hosting.Request(
        slug="platform/svc", branch="paved/update", base="main", title="t", body="b"))
    assert (proposed.proposal.number, proposed.created) == (1, False)
    assert [call.status for call in gitlab.requested("POST")] == [409]


def test_a_missing_source_branch_is_refused_in_one_line(tmp_path: Path,
                                                        gitlab: FakeGitLab) -> None:
    fleet_of_one(tmp_path, gitlab)
    with pytest.raises(hosting.HostError) as caught:
        hosts.connect("gitlab").propose(hosting.Request(
            slug="platform/svc", branch="paved/nowhere", base="main", title="t", body="b"))
    assert str(caught.value) == ("GitLab refused the merge request for platform/svc: 422 "
                                 "{'source_branch': ['does not exist']}")


def test_rate_limits_and_server_errors_are_retried(tmp_path: Path, gitlab: FakeGitLab) -> None:
    _, _, listed = fleet_of_one(tmp_path, gitlab)
    gitlab.too_many(retry_after=1)
    gitlab.server_error(502)
    result = update(listed)
    assert result["outcome"] == "updated"
    assert [call.status for call in gitlab.calls[:3]] == [429, 502, 200]
    assert len({(call.method, call.path) for call in gitlab.calls[:3]}) == 1


def test_auto_merge_when_the_pipeline_succeeds(tmp_path: Path, gitlab: FakeGitLab) -> None:
    _, _, listed = fleet_of_one(tmp_path, gitlab)
    update(listed, "--auto-merge")
    assert gitlab.merge_when_succeeds == {("platform/svc", 1): True}


def test_conflicts_open_a_draft_merge_request(tmp_path: Path, gitlab: FakeGitLab) -> None:
    _, _, listed = fleet_of_one(tmp_path, gitlab, {"notes.txt": "one\ntwo from the team\n"})
    result = update(listed, "--auto-merge")
    assert (result["exit"], result["outcome"]) == (6, "conflict")
    request = gitlab.merge_request("platform/svc", 1)
    assert request["title"] == "Draft: Update svc from paved catalog v1.0.0 to v2.0.0"
    assert request["draft"] is True
    assert "### Conflicts to resolve" in request["description"]
    assert gitlab.merge_when_succeeds == {}


def test_gitlab_needs_a_token(tmp_path: Path, gitlab: FakeGitLab,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    _, remote, listed = fleet_of_one(tmp_path, gitlab)
    monkeypatch.delenv("GITLAB_TOKEN")
    result = update(listed)
    assert (result["outcome"], result["reason"]) == (
        "failed", "paved needs a GitLab token in $GITLAB_TOKEN")
    assert git(remote, "branch", "--list", "paved/*") == ""


def bare_with_branch(tmp_path: Path, branch: str) -> BareRepo:
    """A bare repo with `main` and `branch` (no render: the merge request is what matters)."""
    work = tmp_path / "work"
    work.mkdir()
    git(work, "init", "--quiet", "--initial-branch", "main")
    git(work, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "--quiet",
        "--allow-empty", "-m", "start")
    git(work, "branch", branch)
    git(tmp_path, "clone", "--quiet", "--bare", str(work), str(tmp_path / "svc.git"))
    return BareRepo(tmp_path / "svc.git")


@pytest.mark.parametrize(("state", "title", "pipeline", "expected"), [
    ("opened", "Update", None, hosting.State.OPEN),
    ("opened", "Update", "success", hosting.State.CHECKS_PASSING),
    ("opened", "Update", "running", hosting.State.CHECKS_PENDING),
    ("opened", "Update", "manual", hosting.State.CHECKS_PENDING),
    ("opened", "Update", "failed", hosting.State.CHECKS_FAILING),
    ("opened", "Update", "canceled", hosting.State.CHECKS_FAILING),
    ("opened", "Update", "skipped", hosting.State.OPEN),
    ("opened", "Draft: Update", "success", hosting.State.DRAFT),
    ("closed", "Update", "failed", hosting.State.CLOSED),
    ("locked", "Update", None, hosting.State.CLOSED),
    ("merged", "Draft: Update", "failed", hosting.State.MERGED),
])
def test_status_reads_the_state_of_the_newest_merge_request_and_its_pipeline(
        tmp_path: Path, gitlab: FakeGitLab, state: str, title: str, pipeline: str | None,
        expected: hosting.State) -> None:
    bare = bare_with_branch(tmp_path, "paved/update")
    gitlab.add_project("platform/svc", bare)
    host = hosts.connect("gitlab")
    assert host.latest("platform/svc", "paved/update") is None
    gitlab.open_request("platform/svc", "paved/update", state="closed")  # an older one
    newest = gitlab.open_request("platform/svc", "paved/update", state=state)
    newest.update(title=title, draft=title.startswith("Draft:"))
    if pipeline is not None:
        gitlab.pipelines[("platform/svc", 2)] = pipeline
    assert host.latest("platform/svc", "paved/update") == hosting.Proposal(
        number=2, url="https://gitlab.test/platform/svc/-/merge_requests/2", state=expected,
        title=title, head_sha=bare.sha("paved/update") or "")


def test_a_record_gitlab_refuses_to_show_is_an_error_not_a_missing_record(
        tmp_path: Path, gitlab: FakeGitLab) -> None:
    gitlab.add_project("platform/svc", bare_with_branch(tmp_path, "paved/update"))
    gitlab.fail(403, {"message": "403 Forbidden"}, prefix="/api/v4/projects/1/repository/files")
    result = run_cli(["fleet", "status", "--from", "gitlab:platform"])
    assert (result.exit_code, result.stderr) == (
        1, "paved: error: GitLab refused the projects of platform: 403 403 Forbidden\n")


def test_a_gitlab_url_without_its_scheme_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITLAB_TOKEN", "test-token")
    monkeypatch.setenv("GITLAB_URL", "gitlab.example.invalid")  # no request is ever sent
    result = run_cli(["fleet", "status", "--from", "gitlab:platform"])
    assert (result.exit_code, result.stderr) == (
        1, "paved: error: GitLab did not answer for the projects of platform: Invalid URL "
           "'gitlab.example.invalid/api/v4/groups/platform': No scheme supplied. Perhaps you "
           "meant https://gitlab.example.invalid/api/v4/groups/platform?\n")
