"""The outbound transport: sends each attempt to the instance the client chose, over pooled connections.

Two things happen below httpx's client (and below the OpenTelemetry httpx
instrumentation, so spans and the `http_client_request_duration_seconds`
labels keep the host name, never a pod address):

- an attempt the client addressed to one instance (the `INSTANCE` request
  extension) is sent to that address, with the original `Host` header and TLS
  server name, over that address's own keep-alive connections;
- a connection whose answer counted against the instance (5xx, not relayed)
  is closed instead of going back to the pool. Behind a virtual IP, where a
  connection is pinned to one backend, that is the only handle on an
  instance: the retry, and later calls, travel over other connections, and
  the pool keeps the connections whose last answer succeeded. The connection
  is shut down through the socket httpcore exposes (`network_stream` response
  extension); httpcore then finds it readable and discards it instead of
  reusing it.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import suppress

import httpx

from .outcome import instance_failed

# Request extension naming the address (IPv4 or IPv6) an attempt goes to.
INSTANCE = "paved.instance"


class InstanceTransport(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        address = request.extensions.get(INSTANCE)
        if address is not None:
            request = _to_address(request, str(address))
        response = await self._inner.handle_async_request(request)
        if instance_failed(response.status_code, response.headers):
            network_stream = response.extensions.get("network_stream")
            if network_stream is not None and isinstance(response.stream, httpx.AsyncByteStream):
                response.stream = _CloseConnection(response.stream, network_stream)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


def _to_address(request: httpx.Request, address: str) -> httpx.Request:
    """The same request, sent to `address` (Host header and TLS server name unchanged)."""
    return httpx.Request(
        request.method,
        request.url.copy_with(host=address),
        headers=request.headers,  # already holds Host: the original name
        stream=request.stream,
        extensions={**request.extensions, "sni_hostname": request.url.host},
    )


class _CloseConnection(httpx.AsyncByteStream):
    """A response body whose connection is shut down once the body is read."""

    def __init__(self, body: httpx.AsyncByteStream, network_stream: object) -> None:
        self._body = body
        self._network_stream = network_stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._body:
            yield chunk

    async def aclose(self) -> None:
        get_extra_info = getattr(self._network_stream, "get_extra_info", None)
        sock = get_extra_info("socket") if get_extra_info is not None else None
        # A socket.socket, or asyncio's TransportSocket around one: both can shut down.
        shutdown = getattr(sock, "shutdown", None)
        if shutdown is not None:
            with suppress(OSError):
                shutdown(socket.SHUT_RDWR)
        await self._body.aclose()
