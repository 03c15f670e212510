"""The service's own endpoints. Yours to edit: this is where the team's code goes.

/example shows the pattern for calling another service: take the outbound
client with the `Outbound` dependency and call it. Deadlines, retries, the
retry budget, the circuit breaker and trace propagation apply by themselves;
`raise_for_status()` turns a downstream error into a 502 that callers do not retry.
"""

from typing import Any

import structlog
from fastapi import APIRouter, Request

from .platform import Outbound

router = APIRouter()
log = structlog.get_logger(__name__)


@router.get("/hello")
async def hello() -> dict[str, str]:
    """A trivial endpoint (the benchmarks measure the platform's overhead with it)."""
    return {"message": "hello"}


@router.get("/example")
async def example(request: Request, client: Outbound) -> dict[str, Any]:
    url = request.app.state.settings.example_downstream_url
    response = await client.get(url)
    response.raise_for_status()
    log.info("downstream answered", status=response.status_code)
    return {"downstream": response.json()}


@router.post("/example")
async def create_example(request: Request, client: Outbound) -> dict[str, Any]:
    # POST is retried only with an Idempotency-Key: pass the caller's on.
    headers = {}
    if key := request.headers.get("idempotency-key"):
        headers["idempotency-key"] = key
    url = request.app.state.settings.example_downstream_url
    response = await client.post(url, headers=headers, json={"from": "example"})
    response.raise_for_status()
    return {"downstream": response.json()}
