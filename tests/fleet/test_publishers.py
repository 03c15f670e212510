"""The GitHub publisher against a local server implementing the endpoints PyGithub calls."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from paved.create import create_service
from paved.fleet import publishers
from tests.fleet.conftest import publish
from tests.helpers import bundled_catalog_repo, evolving_catalog, git, release_v2, run_cli


class FakeGitHub(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.pulls: list[dict[str, Any]] = []
        self.requests: list[tuple[str, str, str]] = []  # method, path, authorization

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: FakeGitHub

    def log_message(self, *args: Any) -> None:
        pass

    def _reply(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        url = urlparse(self.path)
        self.server.requests.append(("GET", url.path, self.headers.get("Authorization", "")))
        parts = url.path.strip("/").split("/")
        if parts[0] != "repos" or parts[1:3] != ["acme", "svc"]:
            self._reply(404, {"message": "Not Found"})
        elif len(parts) == 3:
            self._reply(200, {"id": 1, "name": "svc", "full_name": "acme/svc",
                              "owner": {"login": "acme"},
                              "url": f"{self.server.url}/repos/acme/svc"})
        elif parts[3:] == ["pulls"]:
            query = parse_qs(url.query)
            self._reply(200, [pull for pull in self.server.pulls
                              if f"acme:{pull['head']['ref']}" in query.get("head", [])])

    def do_POST(self) -> None:
        self.server.requests.append(("POST", self.path, self.headers.get("Authorization", "")))
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        number = len(self.server.pulls) + 1
        pull = {"number": number, "title": body["title"], "body": body["body"],
                "head": {"ref": body["head"]}, "base": {"ref": body["base"]}, "state": "open",
                "html_url": f"https://github.test/acme/svc/pull/{number}"}
        self.server.pulls.append(pull)
        self._reply(201, pull)


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    server = FakeGitHub()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("GITHUB_TOKEN", "test-token")
    monkeypatch.setenv("GITHUB_API_URL", server.url)
    yield server
    server.shutdown()
    server.server_close()


def _remote_at_v1(tmp_path: Path) -> Path:
    """acme/svc.git: a repo generated from a catalog that has since released v2."""
    catalog = evolving_catalog(tmp_path / "catalog", versions=1)
    repo = create_service("svc", dest=tmp_path / "svc", catalog_source=str(catalog)).path
    release_v2(catalog)
    owner = tmp_path / "acme"
    owner.mkdir()
    return publish(repo, owner)


def test_github_publisher_pushes_and_opens_one_pull_request(
        tmp_path: Path, github: FakeGitHub) -> None:
    remote = _remote_at_v1(tmp_path)
    listed = tmp_path / "repos.txt"
    listed.write_text(f"{remote}\n")
    result = run_cli(["fleet", "update", "--from", str(listed), "--push", "--publish", "github"])
    assert result.exit_code == 0, result.stdout
    assert result.stdout == ("updated (1):\n"
                             "  svc: published: https://github.test/acme/svc/pull/1\n"
                             "1 repos: 1 updated.\n")
    [pull] = github.pulls
    assert pull["title"] == "Update svc from paved catalog v1.0.0 to v2.0.0"
    assert (pull["head"]["ref"], pull["base"]["ref"]) == ("paved/update-2.0.0", "main")
    assert "## 2.0.0\n\n- Port question." in pull["body"]
    assert {auth for _, _, auth in github.requests} == {"token test-token"}
    assert git(remote, "branch", "--list", "paved/*").strip() == "paved/update-2.0.0"


def test_github_publisher_finds_the_open_pull_request(tmp_path: Path,
                                                      github: FakeGitHub) -> None:
    remote = _remote_at_v1(tmp_path)
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", str(remote), str(clone))
    git(clone, "checkout", "--quiet", "-b", "paved/update-2.0.0")
    change = publishers.Change(clone=clone, location=str(remote), branch="paved/update-2.0.0",
                               base="main", title="Update", body="notes")
    first = publishers.PUBLISHERS["github"].publish(change)
    second = publishers.PUBLISHERS["github"].publish(change)
    assert first == second == "https://github.test/acme/svc/pull/1"
    assert len(github.pulls) == 1


def test_github_publisher_needs_a_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    change = publishers.Change(clone=tmp_path, location="acme/svc", branch="b", base="main",
                               title="t", body="b")
    with pytest.raises(publishers.PublishError,
                       match=r"^the github publisher needs a token in \$GITHUB_TOKEN$"):
        publishers.PUBLISHERS["github"].publish(change)


def test_github_refusal_is_one_line(tmp_path: Path, github: FakeGitHub) -> None:
    bundled = bundled_catalog_repo(tmp_path / "unused")  # a repo GitHub does not know
    other = tmp_path / "other" / "thing.git"
    git(tmp_path, "clone", "--quiet", "--bare", str(bundled), str(other))
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", str(other), str(clone))
    git(clone, "checkout", "--quiet", "-b", "paved/update-9.0.0")
    change = publishers.Change(clone=clone, location=str(other), branch="paved/update-9.0.0",
                               base="main", title="t", body="b")
    with pytest.raises(publishers.PublishError) as caught:
        publishers.PUBLISHERS["github"].publish(change)
    assert str(caught.value) == ("GitHub refused the pull request for other/thing: "
                                 "404 Not Found")
