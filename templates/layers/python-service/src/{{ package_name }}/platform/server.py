"""Run the app under uvicorn with a graceful shutdown bounded by `shutdown_timeout_seconds`.

On the first SIGTERM (or SIGINT):
1. /readyz answers 503 at once, and the server keeps serving for
   `shutdown_drain_seconds`, the time load balancers and Kubernetes endpoints
   take to stop sending new requests;
2. uvicorn then closes the listener and waits for in-flight requests, at most
   the rest of `shutdown_timeout_seconds`;
3. the app's lifespan shutdown closes the outbound client and flushes spans.
A second signal (a second Ctrl-C, or SIGTERM then SIGINT) ends the drain early
but never abandons in-flight requests or the lifespan shutdown: uvicorn's own
"force quit" on a repeated SIGINT is not used. The bound stays
`shutdown_timeout_seconds`; past it the kubelet's SIGKILL is the force quit.

One process per pod: the retry budget, breakers, outlier state and the
/metrics registry live in the process, so under a multi-process server
(`uvicorn --workers N`, gunicorn) each worker would have its own and a scrape
would see one worker at a time. `python -m <package>` runs one process;
`warn_if_several_workers` logs an error at start when it finds more.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import re
import socket
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
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
        if self._loop is None:
            super().handle_exit(sig, frame)
            return
        if self._lifecycle.draining:
            log.info("shutdown already started: ending the drain, in-flight requests still finish")
            self.should_exit = True
            return
        self._lifecycle.start_draining()
        log.info("shutdown started: not ready, draining for %.1fs", self._drain_seconds)
        # Signal handlers may not touch the loop directly; call_soon_threadsafe may.
        self._loop.call_soon_threadsafe(self._loop.call_later, self._drain_seconds, self._stop)

    def _stop(self) -> None:
        self.should_exit = True  # never force_exit: that skips in-flight requests and the lifespan


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


def warn_if_several_workers() -> None:
    """Log an error when this app runs in one of several worker processes (best effort, Linux)."""
    workers = worker_processes(_parent_command(), os.environ)
    if workers > 1:
        log.error(
            "this service runs in %d worker processes: retry budgets, circuit breakers, outlier "
            "ejection and /metrics are per process, so each is %d times weaker and a scrape sees "
            "one worker at a time. Run one process per pod (python -m <package>) and scale with "
            "replicas.",
            workers,
            workers,
        )


def worker_processes(parent_command: Sequence[str], environ: Mapping[str, str]) -> int:
    """How many workers the server that started this process runs: 1 unless it is uvicorn or gunicorn.

    Their worker count comes from `--workers N` / `-w N` on their command line,
    else from WEB_CONCURRENCY, which both read.
    """
    launcher = " ".join(Path(part).name for part in parent_command[:3])
    if not re.search(r"\b(uvicorn|gunicorn)\b", launcher):
        return 1
    for index, part in enumerate(parent_command):
        if part.startswith("--workers="):
            return _count(part.partition("=")[2])
        if part in ("--workers", "-w") and index + 1 < len(parent_command):
            return _count(parent_command[index + 1])
        if part.startswith("-w") and part[2:].isascii() and part[2:].isdigit():
            return _count(part[2:])
    return _count(environ.get("WEB_CONCURRENCY", "1"))


def _count(text: str) -> int:
    return int(text) if text.isascii() and text.isdigit() else 1


def _parent_command() -> list[str]:
    try:
        raw = Path(f"/proc/{os.getppid()}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]
