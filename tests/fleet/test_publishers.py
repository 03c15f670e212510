"""The GitHub publisher, through the real PyGithub, against the fake GitHub on 127.0.0.1."""

from __future__ import annotations

import dataclasses
import itertools
import json
import re
from pathlib import Path

import pytest

from paved.fleet import github as paved_github
from paved.fleet import hosting, hosts, publishers
from tests.fleet.conftest import hosted_at_v1
from tests.fleet.fake_api import BareRepo
from tests.fleet.fake_github import FakeGitHub
from tests.helpers import bundled_catalog_repo, git, release_v3, run_cli

CODEOWNERS = "* @acme/platform\nnotes.txt @alice\nREADME.md nobody@example.com\n"


def fleet_of_one(tmp_path: Path, github: FakeGitHub,
                 files: dict[str, str] | None = None) -> tuple[Path, Path, Path]:
    """acme/svc at v1 on the fake GitHub (its catalog at v2) and a list file naming it."""
    catalog, remote = hosted_at_v1(tmp_path, files=files)
    github.add_repo("acme/svc", BareRepo(remote))
    listed = tmp_path / "repos.txt"
    listed.write_text(f"{remote}\n")
    return catalog, remote, listed


#: The pacing paved ships (the `github` fixture shortens it for every other test).
SHIPPED_PACING = paved_github.PACING


def update(listed: Path, *extra: str) -> dict[str, object]:
    result = run_cli(["fleet", "update", "--from", str(listed), "--push", "--publish", "github",
                      "--json", *extra])
    [repo] = json.loads(result.stdout)["repos"]
    return {"exit": result.exit_code, **repo}


def test_opens_one_pull_request_with_changelog_files_labels_and_reviewers(
        tmp_path: Path, github: FakeGitHub) -> None:
    _, remote, listed = fleet_of_one(tmp_path, github, {".github/CODEOWNERS": CODEOWNERS})
    github.collaborators["acme/svc"] = {"alice"}
    github.teams["acme"] = {"platform"}
    result = run_cli(["fleet", "update", "--from", str(listed), "--push", "--publish", "github"])
    assert result.exit_code == 0, result.stdout
    assert result.stdout == ("updated (1):\n"
                             "  svc: published: https://github.test/acme/svc/pull/1\n"
                             "1 repos: 1 updated.\n")
    pull = github.pull("acme/svc", 1)
    assert pull["title"] == "Update svc from paved catalog v1.0.0 to v2.0.0"
    assert (pull["head"]["ref"], pull["base"]["ref"], pull["draft"]) == ("paved/update", "main",
                                                                        False)
    assert pull["body"] == (
        "<!-- paved:update -->\n"
        "This pull request brings the golden path `svc` from catalog **v1.0.0** to **v2.0.0** "
        f"(catalog `{tmp_path / 'catalog'}`). paved merged the template's changes with this "
        "repository's own edits.\n\n"
        "### What changed in the catalog\n\n"
        "##### 2.0.0\n\n- Port question.\n\n"
        "### Files\n\n"
        "10 updated · 0 merged · 0 conflicts · 1 kept\n\n"
        "| file | change | what paved did |\n|---|---|---|\n"
        "| `.paved.yml` | updated | updated |\n"
        "| `README.md` | updated | updated |\n"
        "| `added.txt` | updated | added |\n"
        "| `config.txt` | updated | updated |\n"
        "| `docs/guide.md` | updated | removed |\n"
        "| `docs/handbook.md` | updated | added |\n"
        "| `dropped.txt` | updated | updated |\n"
        "| `legacy.txt` | updated | removed |\n"
        "| `notes.txt` | updated | updated |\n"
        "| `old.txt` | updated | removed |\n"
        "| `app/main.py` | kept | left alone |\n"
        "\n### Merging\n\n"
        "Merge with a **merge commit** (not squash or rebase): the update commit's second "
        "parent is the template's pristine render, which the next update merges from.\n\n"
        "paved keeps this pull request up to date: a newer catalog version replaces its "
        "branch `paved/update` as long as only paved has committed to it. Once you push to "
        "`paved/update`, paved leaves it to you. If `main` moved on and this pull request "
        "conflicts with it, merge `main` into `paved/update` and resolve as usual.\n")
    assert github.labels[("acme/svc", 1)] == ["paved"]
    assert github.reviewers[("acme/svc", 1)] == {"users": ["alice"], "teams": ["platform"]}
    assert {call.auth for call in github.calls} == {"token test-token"}
    assert git(remote, "branch", "--list", "paved/*").strip() == "paved/update"


def test_a_newer_version_refreshes_the_open_pull_request(tmp_path: Path,
                                                          github: FakeGitHub) -> None:
    catalog, remote, listed = fleet_of_one(tmp_path, github)
    first = update(listed)
    assert (first["outcome"], first["published"]) == ("updated",
                                                      "https://github.test/acme/svc/pull/1")
    again = update(listed)
    assert (again["outcome"], again["reason"]) == (
        "proposed", "https://github.test/acme/svc/pull/1 (open) already proposes v2.0.0")
    release_v3(catalog)
    third = update(listed)
    assert (third["outcome"], third["reason"]) == (
        "updated", "refreshed: https://github.test/acme/svc/pull/1")
    assert len(github.pulls["acme/svc"]) == 1
    pull = github.pull("acme/svc", 1)
    assert pull["title"] == "Update svc from paved catalog v1.0.0 to v3.0.0"
    assert ("##### 3.0.0\n\n- Region question.\n\n##### 2.0.0\n\n- Port question."
            in pull["body"])
    assert "version: 3.0.0" in git(remote, "show", "paved/update:.paved.yml")
    assert github.labels[("acme/svc", 1)] == ["paved"]


def test_a_branch_a_person_pushed_to_is_left_alone(tmp_path: Path, github: FakeGitHub) -> None:
    catalog, remote, listed = fleet_of_one(tmp_path, github)
    update(listed)
    clone = tmp_path / "person"
    git(tmp_path, "clone", "--quiet", "--branch", "paved/update", str(remote), str(clone))
    (clone / "notes.txt").write_text("fixed by hand\n")
    git(clone, "commit", "--quiet", "-am", "fix the update by hand")
    git(clone, "push", "--quiet", "origin", "paved/update")
    tip = git(remote, "rev-parse", "paved/update")
    release_v3(catalog)
    result = update(listed)
    assert (result["exit"], result["outcome"], result["reason"]) == (
        0, "proposed", "paved/update has 1 commit(s) not made by paved; paved leaves it to you "
                       "(it proposes v2.0.0)")
    assert git(remote, "rev-parse", "paved/update") == tip


def test_a_closed_pull_request_is_never_refreshed(tmp_path: Path, github: FakeGitHub) -> None:
    """Only *open* pull requests are reused: asking GitHub for `state=all` would edit this
    closed one instead of opening a new one."""
    _, _, listed = fleet_of_one(tmp_path, github)
    git(tmp_path / "acme" / "svc.git", "branch", "paved/update", "main")
    github.open_pull("acme/svc", "paved/update", state="closed")
    result = update(listed)
    assert (result["outcome"], result["published"]) == ("updated",
                                                        "https://github.test/acme/svc/pull/2")
    assert github.pull("acme/svc", 1)["title"] == "From paved/update"
    assert [call.query["state"] for call in github.requested("GET", "/repos/acme/svc/pulls")] \
        == [["open"]]


def test_a_proposal_the_team_closed_is_not_reopened(tmp_path: Path, github: FakeGitHub) -> None:
    _, _, listed = fleet_of_one(tmp_path, github)
    update(listed)
    github.pull("acme/svc", 1)["state"] = "closed"
    result = update(listed)
    assert (result["outcome"], result["reason"]) == (
        "proposed", "pull request https://github.test/acme/svc/pull/1 was closed without this "
                    "version reaching main; paved does not reopen it")
    assert len(github.pulls["acme/svc"]) == 1


def test_a_branch_pushed_without_its_pull_request_gets_one_on_the_rerun(
        tmp_path: Path, github: FakeGitHub) -> None:
    _, remote, listed = fleet_of_one(tmp_path, github)
    github.server_error(502, times=7, method="POST")  # every retry of the creation fails
    failed = update(listed)
    assert (failed["outcome"], failed["reason"]) == (
        "failed", "GitHub did not answer for the pull request for acme/svc: "
                  "too many 502 error responses")
    assert git(remote, "branch", "--list", "paved/update").strip() == "paved/update"
    assert [call.status for call in github.requested("POST")] == [502] * 7
    resumed = update(listed)
    assert (resumed["outcome"], resumed["published"]) == ("updated",
                                                          "https://github.test/acme/svc/pull/1")


def test_rate_limits_and_server_errors_are_retried(tmp_path: Path, github: FakeGitHub) -> None:
    _, _, listed = fleet_of_one(tmp_path, github)
    github.primary_limit(reset_in=-2)  # already reset: waits at once
    github.secondary_limit(retry_after=1)
    github.too_many(retry_after=1)
    github.server_error(503)
    result = update(listed)
    assert (result["outcome"], result["published"]) == ("updated",
                                                        "https://github.test/acme/svc/pull/1")
    statuses = [call.status for call in github.calls]
    assert statuses[:5] == [403, 403, 429, 503, 200]
    assert [(call.method, call.path) for call in github.calls[:5]] == \
        [("GET", "/repos/acme/svc/pulls")] * 5


def test_a_rate_limit_resetting_too_late_fails_the_repo_in_one_line(
        tmp_path: Path, github: FakeGitHub) -> None:
    _, _, listed = fleet_of_one(tmp_path, github)
    github.primary_limit(reset_in=3600)
    result = update(listed)
    assert result["outcome"] == "failed"
    assert re.fullmatch(r"GitHub's rate limit for the pull request for acme/svc resets in "
                        r"3[56]\d\ds, past paved's 900s wait; rerun later to carry on",
                        str(result["reason"]))


def test_a_pull_request_opened_meanwhile_is_found_after_422(tmp_path: Path,
                                                           github: FakeGitHub) -> None:
    _, remote, _ = fleet_of_one(tmp_path, github)
    git(remote, "branch", "paved/update", "main")
    github.open_pull("acme/svc", "paved/update")
    # The lookup misses it (opened between the lookup and the creation): GitHub says 422.
    github.fail(200, [], prefix="/repos/acme/svc/pulls", method="GET")
    host = hosts.connect("github")
    proposed = host.propose(hosting.Request(slug="acme/svc", branch="paved/update", base="main",
                                            title="t", body="b"))
    assert (proposed.proposal.url, proposed.created) == ("https://github.test/acme/svc/pull/1",
                                                         False)
    assert [call.status for call in github.requested("POST")] == [422]


def test_a_missing_head_branch_is_refused_in_one_line(tmp_path: Path,
                                                      github: FakeGitHub) -> None:
    fleet_of_one(tmp_path, github)
    with pytest.raises(hosting.HostError) as caught:
        hosts.connect("github").propose(hosting.Request(
            slug="acme/svc", branch="paved/nowhere", base="main", title="t", body="b"))
    assert str(caught.value) == ("GitHub refused the pull request for acme/svc: 422 Validation "
                                 "Failed: head invalid")


def test_requests_are_paced_as_github_asks(tmp_path: Path, github: FakeGitHub,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """GitHub's secondary rate limits: at least one second between writes (POST, PATCH, PUT,
    DELETE), and a quarter second between any two requests (PyGithub's pacing, kept)."""
    monkeypatch.setattr(paved_github, "PACING", SHIPPED_PACING)
    fleet_of_one(tmp_path, github)
    git(github.repos["acme/svc"].path, "branch", "paved/update", "main")
    hosts.connect("github").propose(hosting.Request(
        slug="acme/svc", branch="paved/update", base="main", title="t", body="b",
        labels=("platform",), reviewers=("@octocat",)))
    calls = github.calls
    writes = [call for call in calls if call.method in ("POST", "PATCH", "PUT", "DELETE")]
    assert len(writes) >= 3  # the pull request, its labels, its reviewers
    assert min(b.at - a.at for a, b in itertools.pairwise(writes)) >= 0.99
    assert min(b.at - a.at for a, b in itertools.pairwise(calls)) >= 0.24


def test_auto_merge_asks_for_a_merge_commit(tmp_path: Path, github: FakeGitHub) -> None:
    _, _, listed = fleet_of_one(tmp_path, github)
    github.auto_merge_allowed.add("acme/svc")
    result = update(listed, "--auto-merge", "--label", "platform", "--label", "deps")
    assert result["outcome"] == "updated"
    assert github.auto_merge == {"PR_acme/svc_1": "MERGE"}
    assert github.labels[("acme/svc", 1)] == ["platform", "deps"]


def test_teams_alone_are_asked_for_review(tmp_path: Path, github: FakeGitHub) -> None:
    _, _, listed = fleet_of_one(tmp_path, github, {".github/CODEOWNERS": "* @acme/platform\n"})
    github.teams["acme"] = {"platform"}
    assert update(listed)["exit"] == 0
    assert github.reviewers[("acme/svc", 1)] == {"users": [], "teams": ["platform"]}


def test_what_the_host_refuses_besides_the_pull_request_is_noted(
        tmp_path: Path, github: FakeGitHub) -> None:
    _, _, listed = fleet_of_one(tmp_path, github, {"CODEOWNERS": "* @mallory\n"})
    result = update(listed, "--auto-merge")
    assert (result["exit"], result["outcome"]) == (0, "updated")
    assert result["reason"] == (
        "published: https://github.test/acme/svc/pull/1; reviewers not requested: 422 Reviews "
        "may only be requested from collaborators. One or more of the users or teams you "
        "specified is not a collaborator of the acme/svc repository.; auto-merge not enabled: "
        "Pull request Auto merge is not allowed for this repository")


def test_conflicts_are_proposed_as_a_draft_with_how_to_resolve(tmp_path: Path,
                                                                github: FakeGitHub) -> None:
    _, remote, listed = fleet_of_one(tmp_path, github, {"notes.txt": "one\ntwo from the team\n"})
    result = update(listed, "--auto-merge")
    assert (result["exit"], result["outcome"], result["conflicts"]) == (6, "conflict",
                                                                         ["notes.txt"])
    assert result["reason"] == ("conflicts in notes.txt: resolve them in "
                                "https://github.test/acme/svc/pull/1")
    pull = github.pull("acme/svc", 1)
    assert pull["draft"] is True
    assert github.auto_merge == {}
    assert ("### Conflicts to resolve\n\n"
            "The template and this repository changed the same lines of 1 file(s). They are "
            "committed with conflict markers, so this proposal is a draft and its checks fail "
            "until they are resolved:\n\n"
            "```sh\ngit fetch origin && git switch paved/update\n"
            "git grep -n -e '^<<<<<<< ' -e '^>>>>>>> ' -- notes.txt\n"
            "# keep what you need between <<<<<<< HEAD and >>>>>>> paved v2.0.0, drop the "
            "markers\n"
            "git commit -am 'Resolve the paved v2.0.0 update' && git push\n```\n\n"
            "Then mark it ready for review.\n") in pull["body"]
    assert "| `notes.txt` | conflicts | conflict |" in pull["body"]
    assert git(remote, "show", "paved/update:notes.txt") == (
        "one\n<<<<<<< HEAD\ntwo from the team\n=======\nTWO from the template\n"
        ">>>>>>> paved v2.0.0\n")
    parents = git(remote, "log", "-1", "--format=%P", "paved/update").split()
    assert "Paved-Pristine: 2.0.0" in git(remote, "log", "-1", "--format=%B", parents[1])


def test_github_needs_a_token_before_anything_is_pushed(
        tmp_path: Path, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> None:
    _, remote, listed = fleet_of_one(tmp_path, github)
    monkeypatch.delenv("GITHUB_TOKEN")
    result = update(listed)
    assert (result["outcome"], result["reason"]) == (
        "failed", "paved needs a GitHub token in $GITHUB_TOKEN")
    assert git(remote, "branch", "--list", "paved/*") == ""


def test_github_refusal_is_one_line(tmp_path: Path, github: FakeGitHub) -> None:
    bundled = bundled_catalog_repo(tmp_path / "unused")  # a repo GitHub does not know
    other = tmp_path / "other" / "thing.git"
    git(tmp_path, "clone", "--quiet", "--bare", str(bundled), str(other))
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", str(other), str(clone))
    git(clone, "checkout", "--quiet", "-b", "paved/update")
    change = publishers.Change(clone=clone, location=str(other), branch="paved/update",
                               base="main", title="t", body="b")
    with pytest.raises(hosting.HostError) as caught:
        publishers.PUBLISHERS["github"].publish(change)
    assert str(caught.value) == ("GitHub refused the pull request for other/thing: "
                                 "404 Not Found")


def test_a_dry_run_says_what_would_conflict_and_proposes_nothing(tmp_path: Path,
                                                                 github: FakeGitHub) -> None:
    _, remote, listed = fleet_of_one(tmp_path, github, {"notes.txt": "one\ntwo from the team\n"})
    result = update(listed, "--dry-run")
    assert (result["outcome"], result["reason"]) == (
        "conflict", "would conflict in notes.txt: run paved update in the repo and resolve them")
    assert github.calls == [] and git(remote, "branch", "--list", "paved/*") == ""


def test_a_change_and_its_publication_are_immutable(tmp_path: Path) -> None:
    change = publishers.Change(clone=tmp_path, location="origin", branch="paved/update",
                               base="main", title="t", body="b")
    published = publishers.Published("https://github.test/acme/svc/pull/1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        change.draft = True  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        published.created = False  # type: ignore[misc]
