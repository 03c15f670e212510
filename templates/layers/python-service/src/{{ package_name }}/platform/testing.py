"""Test support: serve an ASGI app on a real loopback port, and a scriptable fake downstream.

Used by the service's own tests and benchmarks; teams can use it for theirs.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send


@contextmanager
def serve_in_thread(
    app: ASGIApp,
    lifespan: Literal["on", "off"] = "on",
    access_log: bool = False,
    host: str = "127.0.0.1",
    port: int = 0,
    reuse_port: bool = False,
) -> Iterator[str]:
    """Run `app` under uvicorn on `host` (a free port by default) in a thread; yields its base URL.

    `reuse_port` lets several servers listen on one address and port, as the
    instances behind one virtual IP: the kernel spreads new connections over them.
    On exit, requests still in flight get one second to finish.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP: asyncio sets TCP_NODELAY on accepted connections only
    # then; without it, Nagle and delayed ACKs add 40 ms to keep-alive answers.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    bound = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_config=None, access_log=access_log, lifespan=lifespan, timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    started = time.monotonic()
    while not server.started:
        if not thread.is_alive() or time.monotonic() - started > 30:
            raise RuntimeError("test server did not start")
        time.sleep(0.01)
    try:
        yield f"http://{f'[{host}]' if family == socket.AF_INET6 else host}:{bound}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


class Gate:
    """Holds the requests that wait on it until it is opened, from any thread (no polling)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._opened = False
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []

    def is_open(self) -> bool:
        return self._opened

    async def wait(self) -> None:
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        with self._lock:
            if self._opened:
                return
            self._waiters.append((loop, waiter))
        await waiter

    def open(self) -> None:
        with self._lock:
            self._opened = True
            waiters, self._waiters = self._waiters, []
        for loop, waiter in waiters:
            loop.call_soon_threadsafe(_release, waiter)


def _release(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


@dataclass
class FakeDownstream:
    """An ASGI app answering every request with `status` after `delay` seconds, counting hits.

    While `hold` is a closed Gate, requests wait for it (a test releases them
    with `hold.open()`), so a test can keep calls in flight without guessing
    how long they take. Serve it with
    `serve_in_thread(fake, lifespan="off")`.
    """

    status: int = 200
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    hold: Gate | None = None
    hits: int = 0
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    client_ports: list[int] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http", "serve with lifespan='off'"
        self.hits += 1
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        self.requests.append((scope["method"], headers))
        self.client_ports.append(scope["client"][1] if scope.get("client") else 0)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            if self.hold is not None:
                await self.hold.wait()
        except asyncio.CancelledError:
            return  # the server is stopping: a fake has nothing to clean up

        body = json.dumps({"status": self.status}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": self.status,
                "headers": [
                    (b"content-type", b"application/json"),
                    *((k.encode(), v.encode()) for k, v in self.headers.items()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def reset(self) -> None:
        self.hits = 0
        self.requests.clear()
        self.client_ports.clear()
