"""A fault-injecting HTTP proxy on loopback, for tests and chaos experiments.

It stands between the service and one dependency, on real sockets, and treats
each request by the fault in force (no mock of the client: the outbound client
meets the fault as it would meet a failing service):

| fault     | what the service sees                                             |
|-----------|-------------------------------------------------------------------|
| none      | the dependency's answer                                           |
| latency   | the dependency's answer, `seconds` late                           |
| status    | `status` (503 by default) at once; the dependency is not called   |
| reset     | the connection reset (TCP RST) before any answer                  |
| trickle   | the status and headers at once, then the body one byte per `seconds` |

The fault changes while it runs: `proxy.inject(Fault(...))` in-process, or
over HTTP on `control_url` (what chaos/experiment.json does): `PUT /fault`
with the fault as JSON, `DELETE /fault`, `GET /fault` for the fault and the
counts (requests seen, forwarded, in flight, the most in flight at once since
the fault was set, and abandoned: the client hung up while the latency or the
trickle ran, before the answer was complete), and the deadline header
(`x-request-timeout-ms`) of the latest requests, as the service propagated it.
These are counts and orderings, not clock readings, so an experiment can judge
them on a busy machine.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
from collections import deque
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from typing import Any, Literal, cast

import h11
import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .testing import serve_in_thread

Kind = Literal["none", "latency", "status", "reset", "trickle"]
KINDS: tuple[Kind, ...] = ("none", "latency", "status", "reset", "trickle")
DEADLINE_HEADER = b"x-request-timeout-ms"
RECENT = 256  # requests whose deadline header is kept
# Hop-by-hop headers (RFC 9110, 7.6.1) and those the proxy sets itself.
_NOT_FORWARDED = frozenset(
    {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"}
    | {"host", "content-length", "content-encoding"}
)


@dataclass(frozen=True)
class Fault:
    kind: Kind = "none"
    seconds: float = 0.0  # latency: the delay; trickle: the wait between two bytes
    status: int = 503

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Fault:
        """A fault from the control API's JSON; ValueError names what is wrong."""
        unknown = set(data) - {"kind", "seconds", "status"}
        if unknown:
            raise ValueError(f"unknown field(s): {', '.join(sorted(unknown))}")
        kind = data.get("kind", "none")
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}")
        seconds, status = data.get("seconds", 0.0), data.get("status", 503)
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 <= seconds <= 60:
            raise ValueError("seconds must be a number from 0 to 60")
        if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
            raise ValueError("status must be an HTTP status code")
        return cls(cast(Kind, kind), float(seconds), status)


class FaultProxy:
    """Forwards HTTP/1.1 requests to `upstream` (a base URL), applying the fault in force."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.fault = Fault()
        self.requests = 0  # requests received
        self.forwarded = 0  # requests sent on to the dependency
        self.in_flight = 0
        self.peak_in_flight = 0
        self.abandoned = 0  # the client hung up before the answer was complete
        # `x-request-timeout-ms` of the latest requests (None: not sent), oldest first.
        self.deadlines_ms: deque[int | None] = deque(maxlen=RECENT)
        self.url = ""  # set once listening
        self.control_url = ""
        self._client: httpx.AsyncClient | None = None

    def inject(self, fault: Fault) -> None:
        self.fault = fault
        self.peak_in_flight = self.in_flight

    def state(self) -> dict[str, Any]:
        return {
            "fault": asdict(self.fault),
            "requests": self.requests,
            "forwarded": self.forwarded,
            "in_flight": self.in_flight,
            "peak_in_flight": self.peak_in_flight,
            "abandoned": self.abandoned,
            "deadlines_ms": list(self.deadlines_ms),
        }

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One client connection: requests in turn, kept alive as the client asks."""
        conn = h11.Connection(h11.SERVER)
        try:
            while (request := await _read_request(conn, reader)) is not None:
                if not await self._answer(conn, reader, writer, *request) or conn.our_state is h11.MUST_CLOSE:
                    break
                conn.start_next_cycle()
        except (ConnectionError, h11.ProtocolError, asyncio.CancelledError):
            pass  # the client went away, spoke something else, or the proxy is stopping
        finally:
            writer.close()

    async def _answer(
        self,
        conn: h11.Connection,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        request: h11.Request,
        body: bytes,
    ) -> bool:
        """Answer one request; False when the connection is done (reset, or the client left)."""
        self.requests += 1
        self.deadlines_ms.append(_deadline_ms(request))
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            fault = self.fault
            if fault.kind == "reset":
                sock = writer.get_extra_info("socket")
                # Linger 0: close() sends RST instead of FIN, as a crashed peer's kernel does.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                writer.transport.abort()
                return False
            if fault.kind == "latency" and await _client_left(conn, reader, fault.seconds):
                self.abandoned += 1
                return False
            if fault.kind == "status":
                status, headers = fault.status, [("content-type", "application/json")]
                content = b'{"detail": "injected by the fault proxy"}'
            else:
                status, headers, content = await self._forward(request, body)
            headers.append(("content-length", str(len(content))))
            writer.write(conn.send(h11.Response(status_code=status, headers=headers)))
            if fault.kind == "trickle":
                for index in range(len(content)):
                    await writer.drain()
                    if await _client_left(conn, reader, fault.seconds):
                        self.abandoned += 1
                        return False
                    writer.write(conn.send(h11.Data(data=content[index : index + 1])))
            elif content:
                writer.write(conn.send(h11.Data(data=content)))
            writer.write(conn.send(h11.EndOfMessage()))
            await writer.drain()
            return True
        finally:
            self.in_flight -= 1

    async def _forward(self, request: h11.Request, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        self.forwarded += 1
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=30)
        headers = [
            (name.decode("latin-1"), value.decode("latin-1"))
            for name, value in request.headers
            if name.decode("latin-1").lower() not in _NOT_FORWARDED
        ]
        try:
            answer = await self._client.request(
                request.method.decode("ascii"),
                self.upstream + request.target.decode("latin-1"),
                headers=headers,
                content=body,
            )
        except httpx.HTTPError as error:
            return 502, [("content-type", "text/plain")], f"fault proxy: {error}".encode()
        kept = [(k, v) for k, v in answer.headers.items() if k.lower() not in _NOT_FORWARDED]
        return answer.status_code, kept, answer.content

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()


def _deadline_ms(request: h11.Request) -> int | None:
    for name, value in request.headers:
        if name.lower() == DEADLINE_HEADER:
            with suppress(ValueError):
                return int(value)
    return None


async def _client_left(conn: h11.Connection, reader: asyncio.StreamReader, seconds: float) -> bool:
    """Wait `seconds`; True as soon as the client closes the connection (it gave up: a request
    it abandoned must not count as in flight)."""
    loop = asyncio.get_running_loop()
    until = loop.time() + seconds
    while (left := until - loop.time()) > 0:
        try:
            data = await asyncio.wait_for(reader.read(65536), left)
        except TimeoutError:
            return False
        if not data:
            return True
        conn.receive_data(data)  # a pipelined request: h11 keeps it for the next cycle
    return False


async def _read_request(
    conn: h11.Connection, reader: asyncio.StreamReader
) -> tuple[h11.Request, bytes] | None:
    """The next request and its body, or None when the client closed the connection."""
    request: h11.Request | None = None
    body = bytearray()
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            conn.receive_data(await reader.read(65536))
        elif isinstance(event, h11.Request):
            request = event
        elif isinstance(event, h11.Data):
            body += event.data
        elif isinstance(event, h11.EndOfMessage):
            assert request is not None
            return request, bytes(body)
        else:  # ConnectionClosed, or PAUSED after a message the client should not have sent
            return None


def control_app(proxy: FaultProxy) -> Starlette:
    """The control API: GET, PUT and DELETE /fault."""

    async def fault(request: Request) -> JSONResponse:
        if request.method == "PUT":
            try:
                data = await request.json()
                proxy.inject(Fault.parse(data if isinstance(data, dict) else {"kind": data}))
            except ValueError as error:
                return JSONResponse({"detail": str(error)}, status_code=422)
        elif request.method == "DELETE":
            proxy.inject(Fault())
        return JSONResponse(proxy.state())

    return Starlette(routes=[Route("/fault", fault, methods=["GET", "PUT", "DELETE"])])


@contextmanager
def running_proxy(upstream: str, host: str = "127.0.0.1") -> Iterator[FaultProxy]:
    """A FaultProxy in front of `upstream`, listening on a free port of `host`, with its control API."""
    proxy = FaultProxy(upstream)
    loop = asyncio.new_event_loop()
    started = threading.Event()
    server: asyncio.Server | None = None

    async def start() -> None:
        nonlocal server
        server = await asyncio.start_server(proxy.handle, host, 0)
        port = server.sockets[0].getsockname()[1]
        proxy.url = f"http://{host}:{port}"
        started.set()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=30)
    started.wait()
    try:
        with serve_in_thread(control_app(proxy), lifespan="off", host=host) as control:
            proxy.control_url = control
            yield proxy
    finally:

        async def stop() -> None:
            if server is not None:
                server.close()
            # Requests still held (latency, trickle) end with their connections.
            current = asyncio.current_task()
            pending = [task for task in asyncio.all_tasks() if task is not current]
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            await proxy.aclose()

        with suppress(Exception):
            asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
