"""The app factory: a FastAPI app with every golden-path default wired in.

Order of the layers a request goes through, outermost first:

    Observe (server span, http_server_request_duration_seconds)
    → AccessLog (one structured line per request, secrets redacted)
    → LoadShedding (fast 503 past max_in_flight_requests)
    → Deadlines (deadline into context; 504 when already spent)
    → FastAPI (error handlers, platform routes, the team's routes)

Shedding sits outside deadlines so a rejected request costs the least; both
sit inside tracing so rejections are still measured.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request

from . import health, telemetry
from .access import AccessLog
from .client import OutboundClient
from .errors import install_error_handlers
from .middleware import Deadlines, LoadShedding
from .observe import Observe
from .server import warn_if_several_workers
from .settings import PlatformSettings


@dataclass(frozen=True)
class Platform:
    """What the platform keeps on `app.state.platform`."""

    settings: PlatformSettings
    lifecycle: health.Lifecycle
    client: OutboundClient


def create_app(
    settings: PlatformSettings,
    routers: Sequence[APIRouter] = (),
    *,
    client: OutboundClient | None = None,
) -> FastAPI:
    """The app with the platform's middleware, endpoints and outbound client.

    `client` replaces the outbound client built from `settings` (tests and
    benchmarks pass one with a fake resolver or another retry budget).
    """
    telemetry.setup_telemetry(settings)
    client = client or OutboundClient(settings)
    telemetry.instrument_client(client.http)
    platform = Platform(settings, health.Lifecycle(), client)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        warn_if_several_workers()
        yield
        # Shutdown: uvicorn has stopped taking connections and the in-flight
        # requests are done (or the graceful timeout ran out).
        platform.lifecycle.start_draining()
        await client.aclose()
        telemetry.flush_spans(timeout_seconds=2)

    app = FastAPI(title=settings.service_name, lifespan=lifespan, **_without_native_telemetry())
    app.state.platform = platform
    app.state.settings = settings
    install_error_handlers(app)
    app.include_router(health.router)
    for router in routers:
        app.include_router(router)
    app.add_middleware(Deadlines, default_timeout_seconds=settings.request_timeout_default_ms / 1000)
    app.add_middleware(
        LoadShedding,
        max_in_flight=settings.max_in_flight_requests,
        retry_after_seconds=settings.shed_retry_after_seconds,
    )
    # Inside the server span, so that each line carries the request's trace id; outside
    # shedding, so that shed requests are logged too.
    app.add_middleware(AccessLog, enabled=settings.access_log)
    app.add_middleware(Observe)
    return app


def _without_native_telemetry() -> dict[str, Any]:
    """FastAPI's own OpenTelemetry support (recent releases) off: Observe does it.

    Left on, it adds a second server span per request plus spans for dependency
    resolution and serialization, about 110 us of CPU per request in `make bench`.
    """
    if "telemetry" not in inspect.signature(FastAPI.__init__).parameters:
        return {}
    return {"telemetry": {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}}


def _outbound_client(request: Request) -> OutboundClient:
    client: OutboundClient = request.app.state.platform.client
    return client


# In an endpoint: `async def handler(client: Outbound) -> ...`
Outbound = Annotated[OutboundClient, Depends(_outbound_client)]
