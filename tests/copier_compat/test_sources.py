"""Remote source forms for real, without the network: a plain template served over
http by git's own smart server (`git http-backend`) on 127.0.0.1, and over ssh
through `GIT_SSH_COMMAND` (a script that runs `git-upload-pack` here, as sshd
would on the host), in the URL form and the scp-like `git@host:path` form.

`paved new service --catalog URL` and `paved update` work through each, record the
URL as given (copier's `_src_path`, `.paved.yml`), and the golden path is the
repository's name whatever the form.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.copier_compat import fixtures
from tests.copier_compat.drive import PROJECT, paved_new, paved_update


class _GitHttpBackend(BaseHTTPRequestHandler):
    """HTTP in front of `git http-backend` (CGI), serving the repositories under
    `server.root` as git's smart HTTP protocol does."""

    server: _Server

    def do_GET(self) -> None:
        self._cgi()

    def do_POST(self) -> None:
        self._cgi()

    def _cgi(self) -> None:
        path, _, query = self.path.partition("?")
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        env = {"PATH": os.environ["PATH"], "HOME": os.environ["HOME"],
               "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
               "GIT_PROJECT_ROOT": str(self.server.root), "GIT_HTTP_EXPORT_ALL": "1",
               "REQUEST_METHOD": self.command, "PATH_INFO": path, "QUERY_STRING": query,
               "CONTENT_TYPE": self.headers.get("Content-Type", ""),
               "CONTENT_LENGTH": str(len(body)), "REMOTE_ADDR": "127.0.0.1",
               "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
               "GIT_PROTOCOL": self.headers.get("Git-Protocol", "")}
        done = subprocess.run(["git", "http-backend"], input=body, env=env,
                              capture_output=True, check=False)
        head, _, payload = done.stdout.partition(b"\r\n\r\n")
        headers = [line.split(": ", 1) for line in head.decode().split("\r\n") if line]
        status = next((value for name, value in headers if name == "Status"), "200 OK")
        self.send_response(int(status.split()[0]))
        for name, value in headers:
            if name != "Status":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
        self.server.requests.append(f"{self.command} {path}")

    def log_message(self, format: str, *args: object) -> None:
        pass  # the test reads `server.requests`


class _Server(ThreadingHTTPServer):
    def __init__(self, root: Path) -> None:
        super().__init__(("127.0.0.1", 0), _GitHttpBackend)
        self.root = root
        self.requests: list[str] = []


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[_Server]:
    server = _Server(tmp_path / "srv")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def ssh_host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`GIT_SSH_COMMAND`: a script standing for ssh and the host's sshd. It runs the
    command git asks the host for (`git-upload-pack '<path>'`) in the server's root
    (where relative scp-like paths start, as in a home directory), and logs it."""
    root = tmp_path / "srv"
    script = tmp_path / "fake-ssh"
    script.write_text(
        "#!/bin/sh\n"
        # git asks `ssh -G` first to learn which ssh this is: none it knows.
        '[ "$1" = "-G" ] && exit 1\n'
        'for last; do :; done\n'
        f'echo "$*" >> {tmp_path}/ssh.log\n'
        f'cd {root} && exec sh -c "$last"\n', encoding="utf-8")
    script.chmod(0o755)
    monkeypatch.setenv("GIT_SSH_COMMAND", str(script))
    return root


def _new_and_update(source: str, tmp_path: Path) -> Path:
    """`paved new` at v1.0.0 from `source`, a team edit, `paved update` to v2.0.0."""
    fixture = fixtures.CONTEXT
    done = paved_new(source, tmp_path / "paved", "v1.0.0", fixture.answers, trust=False)
    assert done.exit_code == 0, done.stderr
    project = tmp_path / "paved" / PROJECT
    answers = (project / ".copier-answers.yml").read_text()
    assert f"_src_path: {source}\n" in answers
    assert "_commit: v1.0.0\n" in answers
    record = (project / ".paved.yml").read_text()
    assert f"catalog: {source}\n" in record
    assert "golden_path: tpl\n" in record
    fixtures.edit(project, fixture.edits)
    done = paved_update(project, "v2.0.0", trust=False)
    assert done.exit_code == 3, done.stderr  # conflict.txt: the fixture's conflict
    assert "golden_path: tpl\n" in (project / ".paved.yml").read_text()
    assert "_commit: v2.0.0\n" in (project / ".copier-answers.yml").read_text()
    assert (project / "notes.txt").read_text() == "ONE\ntwo\nTHREE\n"
    return project


def test_a_template_served_over_http_creates_and_updates(tmp_path: Path,
                                                          http_server: _Server) -> None:
    fixtures.build(fixtures.CONTEXT, tmp_path / "srv" / "acme" / "tpl.git")
    source = f"http://127.0.0.1:{http_server.server_port}/acme/tpl.git"
    _new_and_update(source, tmp_path)
    # Through git's smart protocol, not a file path: the server answered both commands.
    assert "GET /acme/tpl.git/info/refs" in http_server.requests
    assert "POST /acme/tpl.git/git-upload-pack" in http_server.requests


@pytest.mark.parametrize("form", ["ssh://git@localhost{root}/acme/tpl.git",
                                  "git@localhost:acme/tpl.git"])
def test_a_template_reached_over_ssh_creates_and_updates(form: str, tmp_path: Path,
                                                         ssh_host: Path) -> None:
    fixtures.build(fixtures.CONTEXT, ssh_host / "acme" / "tpl.git")
    source = form.format(root=ssh_host)
    _new_and_update(source, tmp_path)
    # Through the ssh command, asking the host for the repository at the path the URL
    # names (an scp-like path is relative to the home directory there).
    log = (tmp_path / "ssh.log").read_text().splitlines()
    path = f"{ssh_host}/acme/tpl.git" if form.startswith("ssh://") else "acme/tpl.git"
    assert log and all(line.endswith(f"git@localhost git-upload-pack '{path}'")
                       for line in log), log
