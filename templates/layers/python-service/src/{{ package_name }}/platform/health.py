"""Health, metrics and version endpoints, and the lifecycle state behind /readyz.

- /livez: the process answers. It checks no dependency: a slow database must
  not make Kubernetes restart every pod at once.
- /readyz: ready for traffic; 503 from the moment shutdown starts, so the pod
  leaves the load balancers before its listener closes, and while a dependency
  the service cannot work without (its database) fails its check.
- /metrics: Prometheus text exposition of the process-wide registry.
- /version: the commit and image digest the deploy set, to check what runs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest


@dataclass
class Lifecycle:
    draining: bool = False

    def start_draining(self) -> None:
        self.draining = True


#: A dependency's readiness check: None when it answers, else why not (one line).
ReadinessCheck = Callable[[], Awaitable[str | None]]

router = APIRouter(tags=["platform"])


@router.get("/livez")
async def livez() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    platform = request.app.state.platform
    if platform.lifecycle.draining:
        return JSONResponse({"status": "shutting down"}, status_code=503)
    failing = [problem for check in platform.readiness if (problem := await check()) is not None]
    if failing:
        return JSONResponse({"status": "not ready", "failing": failing}, status_code=503)
    return JSONResponse({"status": "ok"})


@router.get("/metrics")
async def prometheus_metrics() -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


@router.get("/version")
async def version(request: Request) -> dict[str, str]:
    settings = request.app.state.platform.settings
    return {
        "service": settings.service_name,
        "commit": settings.git_commit,
        "image_digest": settings.image_digest,
    }
