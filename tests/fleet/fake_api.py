"""What the fake GitHub and GitLab servers share: real HTTP on 127.0.0.1, a request log,
page-by-page listings, rate-limit headers and faults injected for the next N requests.

The real clients (PyGithub, python-gitlab) talk to them; repositories are bare git
repositories on disk, so a fake knows which branches exist exactly as the host would.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit


@dataclass
class Fault:
    """The answer to the next `times` requests whose path starts with `prefix`."""

    status: int
    body: Any
    headers: dict[str, str]
    times: int = 1
    prefix: str = "/"
    method: str | None = None


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, list[str]]
    auth: str
    body: Any = None
    status: int = 0
    at: float = field(default_factory=time.monotonic)  # when it arrived


@dataclass
class BareRepo:
    path: Path  # a bare git repository, the fake's storage
    topics: list[str] = field(default_factory=list)
    archived: bool = False

    def sha(self, branch: str) -> str | None:
        found = subprocess.run(["git", "rev-parse", "--verify", "--quiet",
                                f"refs/heads/{branch}^{{commit}}"], cwd=self.path,
                               capture_output=True, text=True)
        return found.stdout.strip() or None

    def has_file(self, ref: str, path: str) -> bool:
        return subprocess.run(["git", "cat-file", "-e", f"{ref}:{path}"], cwd=self.path,
                              capture_output=True).returncode == 0

    def default_branch(self) -> str:
        head = subprocess.run(["git", "symbolic-ref", "--short", "HEAD"], cwd=self.path,
                              capture_output=True, text=True)
        return head.stdout.strip() or "main"


class FakeServer(ThreadingHTTPServer):
    daemon_threads = True
    rate_headers: Callable[[FakeServer], dict[str, str]]

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.calls: list[Call] = []
        self.faults: list[Fault] = []
        self.lock = threading.RLock()
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def fail(self, status: int, body: Any, headers: dict[str, str] | None = None, *,
             times: int = 1, prefix: str = "/", method: str | None = None) -> None:
        with self.lock:
            self.faults.append(Fault(status, body, headers or {}, times, prefix, method))

    def take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.times > 0 and path.startswith(fault.prefix) and \
                        fault.method in (None, method):
                    fault.times -= 1
                    return fault
        return None

    def requested(self, method: str | None = None, prefix: str = "/") -> list[Call]:
        return [call for call in self.calls if call.path.startswith(prefix)
                and method in (None, call.method)]

    def __enter__(self) -> FakeServer:
        self.thread.start()
        return self

    def __exit__(self, *args: object) -> None:
        self.shutdown()
        self.server_close()


class FakeHandler(BaseHTTPRequestHandler):
    """Routes `do_X` to `self.route(method, parts, query, body)`; pages listings."""

    server: FakeServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def route(self, method: str, parts: list[str], query: dict[str, list[str]],
              body: Any) -> tuple[int, Any] | tuple[int, Any, dict[str, str]]:
        raise NotImplementedError

    def _handle(self, method: str) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = parse_qs(raw.decode())
        query = parse_qs(url.query)
        call = Call(method, url.path, query, self._auth(), body)
        with self.server.lock:
            self.server.calls.append(call)
        fault = self.server.take_fault(method, url.path)
        if fault is not None:
            call.status = fault.status
            self.reply(fault.status, fault.body, fault.headers)
            return
        with self.server.lock:
            answer = self.route(method, [part for part in url.path.split("/") if part],
                                query, body)
        call.status = answer[0]
        self.reply(*answer)

    def _auth(self) -> str:
        return self.headers.get("Authorization") or self.headers.get("PRIVATE-TOKEN") or ""

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def reply(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        """`body`: JSON, text (str) or a file's bytes (a CI artifact's zip archive)."""
        if isinstance(body, bytes):
            data, kind = body, "application/zip"
        elif isinstance(body, str):
            data, kind = body.encode(), "text/plain"
        else:
            data, kind = json.dumps(body).encode(), "application/json"
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        # 5xx come from the proxy in front of the API, which sends no rate-limit headers.
        limits = self.server.rate_headers(self.server) if status < 500 else {}
        for name, value in {**limits, **(headers or {})}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def page(self, items: list[Any], query: dict[str, list[str]], default_size: int,
             path: str) -> tuple[list[Any], dict[str, str]]:
        """One page of `items` and its `Link` header (rel next/last), as both hosts send;
        like both, at most 100 items a page whatever `per_page` asks."""
        size = min(int(query.get("per_page", [default_size])[0]), 100)
        number = int(query.get("page", ["1"])[0])
        pages = max(1, -(-len(items) // size))
        links = []
        for rel, target in (("next", number + 1), ("last", pages)):
            if rel == "next" and number >= pages:
                continue
            params = {key: values[0] for key, values in query.items()}
            params.update(page=str(target), per_page=str(size))
            links.append(f'<{self.server.url}{path}?{urlencode(params)}>; rel="{rel}"')
        headers = {"Link": ", ".join(links)} if links else {}
        headers.update({"X-Page": str(number), "X-Per-Page": str(size),
                        "X-Total": str(len(items)), "X-Total-Pages": str(pages),
                        "X-Next-Page": str(number + 1) if number < pages else ""})
        return items[(number - 1) * size:number * size], headers


def now() -> int:
    return int(time.time())


def serve(server: FakeServer) -> Iterator[FakeServer]:
    with server:
        yield server
