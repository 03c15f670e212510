"""`paved fleet check --evidence-from-ci`: each hosted repo's chaos journal and rollback
drill, fetched from its CI artifacts through the host's API (the fake GitHub and GitLab on
127.0.0.1), and the artifact read as hostile."""

from __future__ import annotations

import io
import json
import stat
import zipfile
from pathlib import Path

import pytest

from paved.fleet import evidence
from paved.fleet.evidence import UnsafeArchive, unpack
from tests.check.fixture_repo import compliant_repo, drill, journal
from tests.fleet.fake_api import BareRepo
from tests.fleet.fake_github import FakeGitHub
from tests.fleet.fake_gitlab import FakeGitLab
from tests.helpers import commit_all, git, run_cli


def archive(*members: tuple[str, bytes], links: tuple[str, ...] = ()) -> bytes:
    """A zip archive of `members`, and of symbolic links named `links`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zipped:
        for name, data in members:
            zipped.writestr(name, data)
        for name in links:
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zipped.writestr(info, "/etc/passwd")
    return buffer.getvalue()


def hosted(tmp_path: Path, name: str) -> Path:
    """A bare remote of a compliant repo without its journal and drill (its CI has them)."""
    work = compliant_repo(tmp_path / "work" / name)
    for path in ("chaos/journal.json", "deploy/drill.json"):
        (work / path).unlink()
    git(work, "init", "-q", "-b", "main")
    commit_all(work, "generated")
    remote = tmp_path / "remotes" / f"{name}.git"
    git(tmp_path, "clone", "-q", "--bare", str(work), str(remote))
    return remote


def fleet_check(source: str) -> dict[str, object]:
    result = run_cli(["fleet", "check", "--from", source, "--topic", "paved", "--json",
                      "--evidence-from-ci"])
    assert result.exit_code == 0, result.stderr
    data: dict[str, object] = json.loads(result.stdout)
    return data


def test_github_artifacts_of_the_default_branch_verify_the_foundations(
        tmp_path: Path, github: FakeGitHub) -> None:
    github.add_repo("acme/ledger", BareRepo(hosted(tmp_path, "ledger"), topics=["paved"]))
    github.add_artifact("acme/ledger", "chaos-journal",
                        archive(("journal.json", journal().encode())))
    github.add_artifact("acme/ledger", "rollback-drill", archive(("drill.json", drill().encode())))
    # Newer, but no evidence for the default branch: a pull request's run, an expired one.
    github.add_artifact("acme/ledger", "chaos-journal", archive(("journal.json", journal(
        "failed", end="2026-12-01T00:00:00+00:00").encode())), branch="feature")
    github.add_artifact("acme/ledger", "rollback-drill", archive(("drill.json", drill(
        automatic=900, finished="2026-12-01T00:00:00Z").encode())), expired=True)
    (repo,) = fleet_check("github:acme")["repos"]  # type: ignore[misc]
    assert repo["foundations"]["failure isolation"] == "verified"
    assert repo["foundations"]["rollback under 5 minutes"] == "verified"
    assert (repo["evidence_fetched"], repo["evidence_notes"], repo["failing"]) == (
        ["chaos-journal/journal.json", "rollback-drill/drill.json"], [], [])
    downloads = [call.path for call in github.requested("GET", "/repos/acme/ledger/actions")]
    assert downloads == ["/repos/acme/ledger/actions/artifacts",
                         "/repos/acme/ledger/actions/artifacts/1/zip",
                         "/repos/acme/ledger/actions/artifacts",
                         "/repos/acme/ledger/actions/artifacts/2/zip"]


def test_gitlab_job_artifacts_are_fetched_and_a_missing_one_stays_unverified(
        tmp_path: Path, gitlab: FakeGitLab) -> None:
    gitlab.add_project("platform/ledger", BareRepo(hosted(tmp_path, "ledger"), topics=["paved"]))
    gitlab.artifacts[("platform/ledger", "main", "chaos")] = archive(
        ("chaos/journal.json", journal("failed", failed=("breaker: opens under 100 % 503s",))
         .encode()))
    (repo,) = fleet_check("gitlab:platform")["repos"]  # type: ignore[misc]
    assert repo["evidence_fetched"] == ["chaos/journal.json"]
    assert repo["evidence_notes"] == ["rollback-drill: no artifact on the default branch"]
    # The fetched run failed: a scored failure; the drill not found: configured only.
    assert repo["failing"] == ["evidence/chaos-journal"]
    assert repo["foundations"]["failure isolation"] == "missing"
    assert repo["foundations"]["rollback under 5 minutes"] == "configured"
    text = run_cli(["fleet", "check", "--from", "gitlab:platform", "--evidence-from-ci"])
    assert text.stdout.splitlines()[-2:] == [
        "evidence from CI: 1 file(s) fetched; not fetched:",
        "  ledger: rollback-drill: no artifact on the default branch"]


def test_an_artifact_over_the_size_limit_is_not_downloaded(
        tmp_path: Path, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(evidence, "MAX_ARCHIVE_BYTES", 1000)
    github.add_repo("acme/ledger", BareRepo(hosted(tmp_path, "ledger"), topics=["paved"]))
    github.add_artifact("acme/ledger", "chaos-journal", archive(("journal.json", b"{}")),
                        size=5000)  # as GitHub reports it: refused before downloading
    github.add_artifact("acme/ledger", "rollback-drill", b"\0" * 3000, size=10)  # it lied
    (repo,) = fleet_check("github:acme")["repos"]  # type: ignore[misc]
    assert repo["evidence_notes"] == [
        "chaos-journal: the artifact chaos-journal of acme/ledger is larger than 1000 bytes: "
        "not downloaded",
        "rollback-drill: the artifact rollback-drill of acme/ledger is larger than 1000 bytes: "
        "not downloaded"]
    assert github.requested("GET", "/repos/acme/ledger/actions/artifacts/1/zip") == []


def test_a_gitlab_archive_over_the_size_limit_is_cut_while_downloading(
        tmp_path: Path, gitlab: FakeGitLab, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(evidence, "MAX_ARCHIVE_BYTES", 100_000)
    gitlab.add_project("platform/ledger", BareRepo(hosted(tmp_path, "ledger"), topics=["paved"]))
    gitlab.artifacts[("platform/ledger", "main", "chaos")] = b"\0" * 300_000
    (repo,) = fleet_check("gitlab:platform")["repos"]  # type: ignore[misc]
    assert repo["evidence_notes"][0] == (
        "chaos: the artifacts archive of job chaos in platform/ledger is larger than 100000 "
        "bytes: not downloaded")


def test_a_repo_not_listed_from_a_host_is_checked_without_ci_evidence(tmp_path: Path) -> None:
    hosted(tmp_path, "ledger")
    listed = tmp_path / "repos.txt"
    listed.write_text(f"{tmp_path / 'remotes' / 'ledger.git'}\n")
    result = run_cli(["fleet", "check", "--from", str(listed), "--json", "--evidence-from-ci"])
    (repo,) = json.loads(result.stdout)["repos"]
    assert repo["evidence_notes"] == [
        "not listed from a host (--from github:ORG or gitlab:GROUP): no CI artifacts to fetch"]
    assert (repo["score"], repo["foundations"]["failure isolation"]) == (100, "configured")
    both = run_cli(["fleet", "check", "--from", str(listed), "--evidence-from-ci",
                    "--evidence", str(tmp_path)])
    assert (both.exit_code, both.stderr) == (
        1, "paved: error: give --evidence DIR or --evidence-from-ci, not both\n")


@pytest.mark.parametrize("members, links, written", [
    # Only regular JSON files, flat, under their base names: never a path from the archive.
    ([("../../escape.json", b"{}"), ("/abs/drill.json", b"{}"), ("a/b/journal.json", b"{}")],
     (), ["escape.json", "drill.json", "journal.json"]),
    ([("journal.json", b"{}"), ("x/journal.json", b"[]"), ("run.log", b"x"),
      (".hidden.json", b"{}"), ("nul\0.json", b"{}")], ("link.json",), ["journal.json"]),
])
def test_unpack_takes_only_regular_json_files_by_base_name(
        tmp_path: Path, members: list[tuple[str, bytes]], links: tuple[str, ...],
        written: list[str]) -> None:
    folder = tmp_path / "out"
    assert list(unpack(archive(*members, links=links), folder)) == written
    assert sorted(path.name for path in folder.iterdir()) == sorted(written)
    assert not (tmp_path / "escape.json").exists()
    assert (folder / "journal.json").read_bytes() == b"{}"


def test_unpack_refuses_bombs_crowds_and_what_is_not_a_zip(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bomb = archive(("journal.json", b"\0" * (16 * 1024 * 1024 + 1)))
    assert len(bomb) < 100_000
    with pytest.raises(UnsafeArchive, match=r"journal\.json unpacks past 16777216 bytes"):
        unpack(bomb, tmp_path / "bomb")
    monkeypatch.setattr(evidence, "MAX_UNPACKED_BYTES", 10)
    with pytest.raises(UnsafeArchive, match="the archive unpacks past 10 bytes"):
        unpack(archive(("a.json", b"123456"), ("b.json", b"123456")), tmp_path / "total")
    crowd = archive(*((f"{n}.json", b"{}") for n in range(65)))
    with pytest.raises(UnsafeArchive, match="65 entries in the archive \\(at most 64\\)"):
        unpack(crowd, tmp_path / "crowd")
    with pytest.raises(UnsafeArchive, match="not a zip archive"):
        unpack(b"<html>rate limited</html>", tmp_path / "html")
    assert not any((tmp_path / name).exists() and any((tmp_path / name).iterdir())
                   for name in ("bomb", "total", "crowd", "html"))
