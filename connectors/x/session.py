"""The HTTP session the X connector talks through.

In production it is a plain aiohttp session to the real API. For a test double (the fake X
API of `connectors.x.fake`, `inbox fake-x`), the same session can be pinned: requests for
X's API hosts connect to a given address instead, over TLS verified against a given CA, so
tweepy runs unmodified and nothing can leave the machine by accident.
"""

from __future__ import annotations

import socket
import ssl
from pathlib import Path

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

X_API_HOSTS = frozenset({"api.twitter.com", "api.x.com"})
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=30, sock_connect=10)


class PinnedResolver(AbstractResolver):
    """Resolves X's API hosts to one address; refuses every other host."""

    def __init__(self, host: str, port: int) -> None:
        self._host = host
        self._port = port

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if host not in X_API_HOSTS:
            raise OSError(f"{host} is not an X API host; this session only reaches {self._host}")
        return [
            ResolveResult(
                hostname=host,
                host=self._host,
                port=self._port,
                family=socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
        ]

    async def close(self) -> None:
        return None


def parse_address(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host, int(port)


def stream_timeout(read_seconds: float) -> aiohttp.ClientTimeout:
    """A stream never ends: no total limit, but silence longer than X's keep-alive period
    (20 s) plus margin means the connection is dead."""
    return aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=read_seconds)


def x_api_session(
    *,
    pinned_address: tuple[str, int] | None = None,
    ca_file: Path | None = None,
    ca_pem: bytes | None = None,
    timeout: aiohttp.ClientTimeout = REQUEST_TIMEOUT,
) -> aiohttp.ClientSession:
    """A session for tweepy; pinned to a test double when `pinned_address` is given."""
    if pinned_address is None:
        return aiohttp.ClientSession(timeout=timeout)
    context = ssl.create_default_context()
    if ca_file is not None:
        context.load_verify_locations(cafile=str(ca_file))
    if ca_pem is not None:
        context.load_verify_locations(cadata=ca_pem.decode("ascii"))
    connector = aiohttp.TCPConnector(resolver=PinnedResolver(*pinned_address), ssl=context)
    return aiohttp.ClientSession(connector=connector, timeout=timeout)
