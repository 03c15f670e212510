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
    app: ASGIApp, lifespan: Literal["on", "off"] = "on", access_log: bool = False
) -> Iterator[str]:
    """Run `app` under uvicorn on 127.0.0.1 (a free port) in a thread; yields its base URL.

    On exit, requests still in flight get one second to finish.
    """
    # proto=IPPROTO_TCP: asyncio sets TCP_NODELAY on accepted connections only
    # then; without it, Nagle and delayed ACKs add 40 ms to keep-alive answers.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
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
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@dataclass
class FakeDownstream:
    """An ASGI app answering every request with `status` after `delay` seconds, counting hits.

    Serve it with `serve_in_thread(fake, lifespan="off")`.
    """

    status: int = 200
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    hits: int = 0
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http", "serve with lifespan='off'"
        self.hits += 1
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        self.requests.append((scope["method"], headers))
        if self.delay:
            try:
                await asyncio.sleep(self.delay)
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
