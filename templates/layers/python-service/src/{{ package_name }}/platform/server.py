"""Run the app under uvicorn with a graceful shutdown bounded by `shutdown_timeout_seconds`.

On the first SIGTERM (or SIGINT):
1. /readyz answers 503 at once, and the server keeps serving for
   `shutdown_drain_seconds`, the time load balancers and Kubernetes endpoints
   take to stop sending new requests;
2. uvicorn then closes the listener and waits for in-flight requests, at most
   the rest of `shutdown_timeout_seconds`;
3. the app's lifespan shutdown closes the outbound client and flushes spans.
A second signal skips the drain (uvicorn's own behaviour).
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import logging
import socket
import sys
from types import FrameType

import uvicorn
from fastapi import FastAPI
from pydantic import ValidationError

from .health import Lifecycle

log = logging.getLogger(__name__)


class GracefulServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, lifecycle: Lifecycle, drain_seconds: float) -> None:
        super().__init__(config)
        self._lifecycle = lifecycle
        self._drain_seconds = drain_seconds
        self._loop: asyncio.AbstractEventLoop | None = None

    async def serve(self, sockets: list[socket.socket] | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        await super().serve(sockets)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self._lifecycle.draining or self._loop is None:
            super().handle_exit(sig, frame)
            return
        self._lifecycle.start_draining()
        log.info("shutdown started: not ready, draining for %.1fs", self._drain_seconds)
        stop = functools.partial(uvicorn.Server.handle_exit, self, sig, frame)
        # Signal handlers may not touch the loop directly; call_soon_threadsafe may.
        self._loop.call_soon_threadsafe(self._loop.call_later, self._drain_seconds, stop)


def run(app: FastAPI) -> None:
    """Serve `app` (made by create_app) on its settings' host and port until a signal."""
    platform = app.state.platform
    settings = platform.settings
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,  # logs.py already routes uvicorn's loggers to JSON
        log_level=settings.log_level.lower(),
        access_log=False,  # access.py logs each request, structured and redacted
        timeout_graceful_shutdown=max(
            0.1, settings.shutdown_timeout_seconds - settings.shutdown_drain_seconds
        ),
        lifespan="on",
    )
    GracefulServer(config, platform.lifecycle, settings.shutdown_drain_seconds).run()


def serve(app_path: str) -> None:
    """Import `module:attribute` and run it; a bad setting exits 1 naming the variable.

    The settings are read when the app is built, at import: catching the
    error here turns a pydantic traceback into one line an operator can act on.
    """
    module, _, attribute = app_path.partition(":")
    try:
        app = getattr(importlib.import_module(module), attribute)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc']).upper()}: {problem['msg']}"
            for problem in error.errors()
        )
        sys.exit(f"invalid settings: {problems}")
    run(app)
