"""The instances behind one downstream host: its resolved addresses and their outlier state.

A Kubernetes headless Service (the deploy layer makes one, `<name>-pods`)
resolves to one address per ready pod. When a host resolves to several
addresses the client picks one per attempt, round-robin, and sends a retry to
an address the call has not tried yet, so one bad pod costs a retry instead of
the call. An instance that fails `consecutive_failures` times in a row is
ejected from the rotation for `ejection_seconds`, longer each time it is
ejected again (up to `max_ejection_seconds`), and at most
`max_ejection_percent` of the instances (always at least one) are ejected at
once: this is Envoy's outlier detection by consecutive 5xx, with its defaults.
The circuit breaker guards the service as a whole; ejection guards instances.

A host that resolves to one address (a ClusterIP Service's virtual IP, or an
external name) gets no outlier state: the transport closes a connection whose
answer failed, so the retry travels over another connection, which the VIP
may balance to another instance (transport.py).

Addresses are resolved with the system resolver and kept for `ttl_seconds`
(Envoy's DNS refresh rate, 5 s); a failed lookup keeps the last good answer.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass

from .window import Clock

Resolve = Callable[[str, int], Awaitable[Sequence[str]]]


async def system_resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, in the resolver's order, without duplicates."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


@dataclass
class _Instance:
    address: str
    consecutive_failures: int = 0
    ejected_until: float = 0.0
    ejections: int = 0  # in a row, without a success in between: multiplies the ejection time


@dataclass(frozen=True)
class OutlierPolicy:
    consecutive_failures: int
    ejection_seconds: float
    max_ejection_seconds: float
    max_ejection_percent: float


class Instances:
    def __init__(self, policy: OutlierPolicy, ttl_seconds: float, clock: Clock = time.monotonic) -> None:
        self._policy = policy
        self._ttl = ttl_seconds
        self._clock = clock
        self._instances: list[_Instance] = []
        self._resolved_at: float | None = None
        self._lookup: asyncio.Future[None] | None = None
        self._next = 0

    @property
    def addresses(self) -> list[str]:
        return [instance.address for instance in self._instances]

    def ejected(self) -> list[str]:
        now = self._clock()
        return [i.address for i in self._instances if i.ejected_until > now]

    async def refresh(self, resolve: Resolve, host: str, port: int) -> None:
        """Resolve `host` again when the last answer is older than the TTL (one lookup at a time)."""
        if self._resolved_at is not None and self._clock() - self._resolved_at < self._ttl:
            return
        if self._lookup is not None:
            await asyncio.shield(self._lookup)
            return
        lookup = self._lookup = asyncio.get_running_loop().create_future()
        try:
            # On failure keep the last good answer; with none, the call resolves the name itself.
            with suppress(OSError, UnicodeError):
                self.update(await resolve(host, port))
            self._resolved_at = self._clock()
        finally:
            lookup.set_result(None)
            self._lookup = None

    def update(self, addresses: Sequence[str]) -> None:
        """The addresses now behind the host; known ones keep their outlier state."""
        known = {instance.address: instance for instance in self._instances}
        self._instances = [known.get(address) or _Instance(address) for address in addresses]

    def pick(self, tried: Sequence[str]) -> str | None:
        """The address for the next attempt, or None when there is a single address (or none).

        Round-robin over the instances not ejected and not yet tried by this call;
        then any not tried; then the one this call tried longest ago.
        """
        count = len(self._instances)
        if count < 2:
            return None
        now = self._clock()
        order = [self._instances[(self._next + step) % count] for step in range(count)]
        untried = [instance for instance in order if instance.address not in tried]
        healthy = [instance for instance in untried if instance.ejected_until <= now]
        for instance in healthy or untried:
            self._next = (self._instances.index(instance) + 1) % count
            return instance.address
        current = {instance.address for instance in self._instances}
        return next((address for address in tried if address in current), order[0].address)

    def record(self, address: str, failed: bool) -> bool:
        """An attempt's outcome on `address`; True when this failure ejected the instance."""
        instance = next((i for i in self._instances if i.address == address), None)
        if instance is None:
            return False
        ejected = instance.ejected_until > self._clock()
        if not failed:
            instance.consecutive_failures = 0
            if not ejected:
                instance.ejections = 0
            return False
        if ejected:
            return False  # a call that started before the ejection: the verdict is made
        instance.consecutive_failures += 1
        if instance.consecutive_failures < self._policy.consecutive_failures or not self._may_eject():
            return False
        instance.consecutive_failures = 0
        instance.ejections += 1
        seconds = min(self._policy.ejection_seconds * instance.ejections, self._policy.max_ejection_seconds)
        instance.ejected_until = self._clock() + seconds
        return True

    def _may_eject(self) -> bool:
        allowed = max(1, int(len(self._instances) * self._policy.max_ejection_percent / 100))
        return len(self.ejected()) < allowed
