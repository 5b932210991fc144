"""The image proxy's fetcher: a picture from a network's media host, held to the egress policy
and to the proxy's bounds (inbox/domain/media_proxy.py).

Addresses come from networks' payloads, that is from anyone who can post, so the fetcher is
no less guarded than a webhook: its session is a guarded one (connectors.common.egress), so
every connection goes to a public address (or one the operator allows), checked after
resolution, over https. Redirects are followed by hand, at most MAX_REDIRECTS, each to an
address checked again like the first (media hosts do redirect to their storage; aiohttp's own
following is off so that the count and the reasons are ours). The body is read in chunks and
dropped, connection and all, as soon as it passes MAX_IMAGE_BYTES, or at once when its
declared length does; the whole exchange, redirects included, has FETCH_SECONDS. No cookie,
no credential and no referrer is sent: a media host learns nothing of who looks.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver
from yarl import URL

from connectors.common.egress import RefusedDestination, guarded_session
from inbox.domain.egress import EgressPolicy
from inbox.domain.media_proxy import (
    FETCH_SECONDS,
    MAX_IMAGE_BYTES,
    MAX_REDIRECTS,
    FetchedImage,
    MediaRefusal,
    MediaUnavailableError,
    check_declared_type,
    image_of,
    too_large,
)

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024
_HEADERS = {
    "Accept": "image/webp,image/png,image/jpeg,image/gif;q=0.9",
    # Counted as it arrives: a compressed body is counted once inflated, but there is no
    # reason for a picture to come compressed at all.
    "Accept-Encoding": "identity",
    "User-Agent": "social-inbox image proxy",
}


class GuardedImageFetcher:
    """Implements the ImageFetcher port. `running()` holds one pool of connections while the
    application serves; a fetch outside it opens a session for itself."""

    def __init__(
        self,
        policy: EgressPolicy,
        *,
        resolver: AbstractResolver | None = None,
        max_bytes: int = MAX_IMAGE_BYTES,
        seconds: float = FETCH_SECONDS,
    ) -> None:
        self._policy = policy
        self._resolver = resolver
        self._max_bytes = max_bytes
        self._seconds = seconds
        self._session: aiohttp.ClientSession | None = None

    def _new_session(self) -> aiohttp.ClientSession:
        return guarded_session(
            self._policy,
            timeout=aiohttp.ClientTimeout(total=self._seconds, sock_connect=min(self._seconds, 5)),
            headers=_HEADERS,
            limit=32,
            resolver=self._resolver,
        )

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        session = self._new_session()
        self._session = session
        try:
            yield
        finally:
            self._session = None
            await session.close()

    async def fetch(self, url: str) -> FetchedImage:
        if self._session is not None:
            return await self._fetch(self._session, url)
        async with self._new_session() as session:
            return await self._fetch(session, url)

    async def _fetch(self, session: aiohttp.ClientSession, url: str) -> FetchedImage:
        try:
            async with asyncio.timeout(self._seconds):
                return await self._follow(session, url)
        except TimeoutError:
            raise MediaUnavailableError(
                MediaRefusal.TOO_SLOW,
                f"{_host(url)} did not give the image within {self._seconds:g} seconds",
            ) from None

    async def _follow(self, session: aiohttp.ClientSession, url: str) -> FetchedImage:
        current = URL(url, encoded=True)
        for _hop in range(MAX_REDIRECTS + 1):
            try:
                async with session.get(current, allow_redirects=False) as response:
                    if response.status in _REDIRECTS:
                        current = _redirected(response)
                        continue
                    return await self._image(response)
            except TimeoutError:
                raise  # aiohttp's own timeouts are connection errors too: the time is up
            except RefusedDestination as refused:
                raise MediaUnavailableError(
                    MediaRefusal.FORBIDDEN_DESTINATION, str(refused.refusal)
                ) from None
            except aiohttp.ClientError as exc:
                raise MediaUnavailableError(
                    MediaRefusal.UNREACHABLE,
                    f"the exchange with {_host(str(current))} failed ({type(exc).__name__})",
                ) from None
        raise MediaUnavailableError(
            MediaRefusal.UNREACHABLE, f"more than {MAX_REDIRECTS} redirects: not followed"
        )

    async def _image(self, response: aiohttp.ClientResponse) -> FetchedImage:
        if response.status != 200:
            raise MediaUnavailableError(
                MediaRefusal.UNREACHABLE,
                f"{_host(str(response.url))} answered {response.status}, not the image",
            )
        check_declared_type(response.headers.get("Content-Type"))
        declared = response.content_length
        if declared is not None and declared > self._max_bytes:
            response.close()
            raise too_large(declared)
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.content.iter_chunked(_CHUNK):
            size += len(chunk)
            if size > self._max_bytes:
                # Dropped with its connection: the rest is never read.
                response.close()
                raise too_large()
            chunks.append(chunk)
        return image_of(b"".join(chunks))


def _redirected(response: aiohttp.ClientResponse) -> URL:
    location = response.headers.get("Location")
    if not location:
        raise MediaUnavailableError(
            MediaRefusal.UNREACHABLE, f"{_host(str(response.url))} redirected to nowhere"
        )
    try:
        return response.url.join(URL(location))
    except ValueError:
        raise MediaUnavailableError(
            MediaRefusal.UNREACHABLE,
            f"{_host(str(response.url))} redirected to an address that is not one",
        ) from None


def _host(url: str) -> str:
    """The host alone: an address's path and query may hold a signed token of the media
    host, which has no place in a log line or an answer."""
    try:
        return urlsplit(url).hostname or "the media host"
    except ValueError:
        return "the media host"
