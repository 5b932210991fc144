"""An aiohttp session whose requests to X's hosts reach the fake server, and nothing else.

tweepy's AsyncClient always calls https://api.twitter.com; giving it this session (through
`client.session`) sends those calls to the fake on loopback without patching tweepy. Three
guards keep everything on the machine: the resolver knows only X's hosts, the socket factory
connects only to the fake's address, and TLS trusts only the fake's CA.
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING, Any

import aiohttp

from connectors.x.session import PinnedResolver

if TYPE_CHECKING:
    from connectors.x.fake.server import FakeXServer

LOOPBACK = "127.0.0.1"
# What aiohttp's socket factory receives: family, type, proto, canonical name, address.
AddressInfo = tuple[int, int, int, str, tuple[Any, ...]]


def _loopback_only(server: FakeXServer) -> aiohttp.connector.SocketFactoryType:
    # IP-literal URLs skip the resolver; this last gate refuses any address but the fake's.
    def open_socket(address_info: AddressInfo) -> socket.socket:
        family, kind, proto, _, address = address_info
        if family != socket.AF_INET or tuple(address[:2]) != (LOOPBACK, server.port):
            raise OSError(f"the fake X session connects only to the fake server, not {address!r}")
        return socket.socket(family, kind, proto)

    return open_socket


def fake_x_session(
    server: FakeXServer, *, timeout: aiohttp.ClientTimeout | None = None
) -> aiohttp.ClientSession:
    """A ClientSession for tweepy's `client.session` (or raw calls). Create it in a coroutine
    and close it when done."""
    connector = aiohttp.TCPConnector(
        resolver=PinnedResolver(LOOPBACK, server.port),
        ssl=server.client_ssl_context(),
        socket_factory=_loopback_only(server),
    )
    return aiohttp.ClientSession(
        connector=connector,
        timeout=timeout or aiohttp.ClientTimeout(total=30),
        trust_env=False,  # never route through a proxy from the environment
    )
