"""The egress policy (inbox.domain.egress) on the wire: aiohttp sessions that connect only
where it allows, and the check of an address when it is typed in.

Every request of a guarded session is checked before it connects: its scheme and numeric
host by the policy, its name by the resolver, which resolves it, checks EVERY address it
resolves to, and hands aiohttp only those checked addresses to connect to. There is no second
resolution between the check and the connection, so a name cannot answer a public address
when checked and an internal one when connected (DNS rebinding). A name with any internal
address is refused whole rather than filtered: a receiver that resolves to both is not one
the inbox should guess about. Guarded sessions never take a proxy from the environment (the
proxy would resolve the name, unchecked). Clients pass `allow_redirects=False`; a redirect
would be checked anyway, since each connection is.
"""

from __future__ import annotations

import socket
from ipaddress import ip_address

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.client_reqrep import ClientRequest
from aiohttp.connector import Connection
from aiohttp.resolver import ThreadedResolver
from aiohttp.tracing import Trace

from inbox.domain.egress import EgressPolicy, ForbiddenDestination

# How refusals at connection time name what was refused: the address, whichever field it
# came from.
CONNECTION_SETTING = "outbound address"
DEFAULT_TIMEOUT = aiohttp.ClientTimeout(total=30, sock_connect=10)


class RefusedDestination(aiohttp.ClientConnectionError):
    """A connection not made: the policy refused its address. It is one of aiohttp's
    connection errors, so a client that knows only those treats it as a failed connection;
    a client that can tell a permanent failure catches it first (`refusal` says why)."""

    def __init__(self, refusal: ForbiddenDestination) -> None:
        super().__init__(str(refusal))
        self.refusal = refusal


class GuardedResolver(AbstractResolver):
    """Resolves with `inner` (the system's resolver by default) and refuses a name when one
    of its addresses is internal, unless the operator allows the name or the address."""

    def __init__(self, policy: EgressPolicy, inner: AbstractResolver | None = None) -> None:
        self._policy = policy
        self._inner = inner or ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        if not self._policy.admits_name(host, port):
            try:
                for result in found:
                    address = ip_address(result["host"])
                    self._policy.check_resolved(CONNECTION_SETTING, host, port, address)
            except ForbiddenDestination as refusal:
                raise RefusedDestination(refusal) from None
        return found

    async def close(self) -> None:
        await self._inner.close()


class GuardedConnector(aiohttp.TCPConnector):
    """A TCPConnector that checks each request's scheme and host against the policy before
    it takes a pooled connection or opens one; names go through a GuardedResolver. (aiohttp
    connects to a numeric host without asking the resolver, hence the check here.)"""

    def __init__(
        self,
        policy: EgressPolicy,
        *,
        resolver: AbstractResolver | None = None,
        limit: int = 100,
    ) -> None:
        super().__init__(resolver=GuardedResolver(policy, resolver), limit=limit)
        self._policy = policy

    async def connect(
        self,
        req: ClientRequest,
        traces: list[Trace],
        timeout: aiohttp.ClientTimeout,  # noqa: ASYNC109 (the signature aiohttp calls)
    ) -> Connection:
        try:
            self._policy.destination(str(req.url), CONNECTION_SETTING)
        except ForbiddenDestination as refusal:
            raise RefusedDestination(refusal) from None
        return await super().connect(req, traces, timeout)


def guarded_session(
    policy: EgressPolicy,
    *,
    timeout: aiohttp.ClientTimeout = DEFAULT_TIMEOUT,
    headers: dict[str, str] | None = None,
    limit: int = 100,
    resolver: AbstractResolver | None = None,
) -> aiohttp.ClientSession:
    """A session to addresses people typed in. `resolver` replaces the system's (a test's
    name table); the policy applies to what it answers all the same. Create it in a
    coroutine."""
    return aiohttp.ClientSession(
        connector=GuardedConnector(policy, resolver=resolver, limit=limit),
        timeout=timeout,
        headers=headers,
        trust_env=False,
    )


class CheckedDestinations:
    """The OutboundDestinations port: an address typed in is checked by the policy, and a
    name is resolved now and each of its addresses checked. A name that does not resolve yet
    is accepted (a receiver's DNS may come later): every connection checks it again."""

    def __init__(self, policy: EgressPolicy, resolver: AbstractResolver | None = None) -> None:
        self._policy = policy
        self._resolver = resolver

    async def check(self, url: str, setting: str) -> None:
        target = self._policy.destination(url, setting)
        if not self._policy.needs_resolution(target):
            return
        resolver = self._resolver or ThreadedResolver()
        try:
            found = await resolver.resolve(target.host, target.port, socket.AF_UNSPEC)
        except OSError:
            return
        for result in found:
            self._policy.check_resolved(
                setting, target.host, target.port, ip_address(result["host"])
            )
