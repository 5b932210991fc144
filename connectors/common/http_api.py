"""What every network's HTTP API client shares: the kinds of failure, rate limits, retries.

Every network's call ends in one of three failures: rate limited (429: wait for the window's
reset, then try again), transient (5xx, timeouts, broken connections: back off with jitter)
and permanent (other 4xx: the same call cannot succeed). `RetryingApi` is the one retry
policy of the X, Mastodon and Bluesky clients: it retries the first two for reads; writes are
never retried here, because a retried POST could post twice: the outbox decides. Every wait
is an `await` on the account's own task, so a rate-limited account never stalls the others.

What differs by network stays in its package: the header names of the rate limit, the shape
of an error body, pagination, authentication.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypedDict, TypeVar

import aiohttp
from pydantic_core import from_json
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from connectors.common.egress import RefusedDestination
from inbox.domain.clock import Clock
from inbox.domain.errors import InboxError

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
Answer = TypeVar("Answer")


class RetryOptions(TypedDict, total=False):
    """How a client waits and how long it insists (`RetryingApi`'s keywords, which every
    network's client passes on unchanged): tests give a `sleep` that only records."""

    sleep: Sleep
    max_attempts: int
    max_backoff_seconds: float


class ApiError(InboxError):
    """A call that did not succeed. The message never contains a credential."""


class RateLimited(ApiError):
    def __init__(self, endpoint: str, reset_at: datetime | None) -> None:
        super().__init__(f"{endpoint}: rate limited until {reset_at or 'unknown'}")
        self.reset_at = reset_at


class TransientApiError(ApiError):
    """5xx, timeouts, broken connections: worth retrying."""


class PermanentApiError(ApiError):
    """4xx other than 429: retrying the same call cannot succeed.

    `error` is the network's own name for the refusal where it gives one apart from the
    explanation (XRPC's `InvalidToken`); it is shown between the status and the detail."""

    def __init__(
        self, endpoint: str, status: int, detail: str, *, error: str | None = None
    ) -> None:
        named = f" {error}" if error is not None else ""
        super().__init__(f"{endpoint}: HTTP {status}{named}: {detail}")
        self.status = status
        self.detail = detail


@dataclass(frozen=True, slots=True)
class RateLimit:
    limit: int
    remaining: int
    reset_at: datetime


@dataclass(frozen=True, slots=True)
class ApiAnswer:
    """A decoded body (None when it did not parse), its exact bytes and the endpoint's limit."""

    body: Any
    raw: bytes
    rate: RateLimit | None

    @property
    def parses(self) -> bool:
        return self.body is not None


def decoded(raw: bytes) -> Any:
    """The JSON in `raw`, or None: a page that does not parse is quarantined whole, by the
    caller, with these exact bytes.

    pydantic's own parser reads a page in about two thirds of the standard library's time;
    what it refuses and the standard library accepts (a lone surrogate, `\\ud800`, which
    networks send and the normalisers repair; a byte-order mark) is read by the latter, so
    every page reads as `json.loads` reads it."""
    try:
        return from_json(raw)
    except ValueError:
        pass
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return None


def epoch_instant(value: str) -> datetime:
    """A reset sent as whole seconds since the epoch."""
    return datetime.fromtimestamp(int(value), UTC)


def rate_limit_in(
    headers: Mapping[str, str],
    *,
    limit: str,
    remaining: str,
    reset: str,
    reset_instant: Callable[[str], datetime] = epoch_instant,
) -> RateLimit | None:
    """The rate limit an answer announces in the headers named; None when one is missing or
    unreadable (the call then goes on without a known window)."""
    try:
        return RateLimit(
            limit=int(headers[limit]),
            remaining=int(headers[remaining]),
            reset_at=reset_instant(headers[reset]),
        )
    except (KeyError, ValueError, OverflowError, OSError):
        return None


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """What one call sends; redirects are never followed (the token goes with the request).
    Without a `timeout`, the session's own applies."""

    method: str
    url: str
    headers: Mapping[str, str]
    params: Sequence[tuple[str, str]] = ()
    json_body: Mapping[str, Any] | None = None
    timeout: aiohttp.ClientTimeout | None = None


@dataclass(frozen=True, slots=True)
class HttpAnswer:
    """An answer read whole: its response (released; headers and links stay readable), its
    exact bytes and the limit it announced."""

    response: aiohttp.ClientResponse
    raw: bytes
    rate: RateLimit | None

    @property
    def status(self) -> int:
        return self.response.status


class RetryingApi:
    """One account's client of one network: its known rate limits (by endpoint), the count of
    requests it sent (booked against the account's usage), and the retry loop.

    Subclasses send the requests: each attempt first awaits `_respect_limit`, counts itself in
    `requests`, and keeps the limit the answer announced with `_remember_limit`."""

    # In log lines and their actions: "x", "mastodon", "bluesky".
    network: str

    def __init__(
        self,
        *,
        clock: Clock,
        sleep: Sleep = asyncio.sleep,
        max_attempts: int = 6,
        max_backoff_seconds: float = 60.0,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._max_attempts = max_attempts
        self._max_backoff = max_backoff_seconds
        self.limits: dict[str, RateLimit] = {}
        self.requests = 0

    async def _attempts(
        self, call: Callable[[], Awaitable[Answer]], *, retry: bool = True
    ) -> Answer:
        """A read (`retry`) is retried; a write is tried once, since a retried POST could
        post twice: the outbox decides, after looking for the earlier attempt."""
        if not retry:
            return await call()
        return await self._retried(call)

    async def _retried(self, call: Callable[[], Awaitable[Answer]]) -> Answer:
        """`call` until it succeeds, fails permanently, or has used up the attempts."""
        retrying = AsyncRetrying(
            retry=retry_if_exception_type((RateLimited, TransientApiError)),
            wait=self._wait,
            stop=stop_after_attempt(self._max_attempts),
            sleep=self._sleep,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await call()
        raise AssertionError("unreachable: tenacity re-raises the last error")

    def _wait(self, state: RetryCallState) -> float:
        """Exponential backoff with jitter; after a 429 with a known reset, no extra wait
        here: the next attempt waits for the reset in `_respect_limit`."""
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, RateLimited) and error.reset_at is not None:
            return 0.0
        backoff = wait_exponential_jitter(initial=1, max=self._max_backoff)
        return float(backoff(state))

    async def _attempt_begins(self, endpoint: str) -> None:
        """Before each attempt: wait out a known exhausted window, then count the request
        (booked against the account's usage)."""
        await self._respect_limit(endpoint)
        self.requests += 1

    async def _exchange(
        self,
        session: aiohttp.ClientSession,
        endpoint: str,
        request: HttpRequest,
        *,
        rate_from: Callable[[Mapping[str, str]], RateLimit | None],
        refused: Callable[[str, RefusedDestination], ApiError],
    ) -> HttpAnswer:
        """One attempt of a call on aiohttp (Mastodon, Bluesky; X goes through tweepy): the
        whole body, the limit the answer announced, a 429 as `RateLimited`, a broken
        connection or a timeout as transient, an address the egress policy refuses as
        `refused`. Other statuses are the network's own to sort: their bodies differ."""
        await self._attempt_begins(endpoint)
        options: dict[str, Any] = {} if request.timeout is None else {"timeout": request.timeout}
        try:
            async with session.request(
                request.method,
                request.url,
                params=request.params,
                json=request.json_body,
                headers=request.headers,
                allow_redirects=False,
                **options,
            ) as response:
                raw = await response.read()
        except RefusedDestination as refusal:
            raise refused(endpoint, refusal) from None
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise TransientApiError(f"{endpoint}: {exc.__class__.__name__}") from None
        rate = rate_from(response.headers)
        self._remember_limit(endpoint, rate)
        if response.status == 429:
            raise RateLimited(endpoint, rate.reset_at if rate else None)
        return HttpAnswer(response, raw, rate)

    async def _respect_limit(self, endpoint: str) -> None:
        """Do not spend a request known to be refused: wait for the window to reset first."""
        known = self.limits.get(endpoint)
        if known is not None and known.remaining <= 0:
            wait = (known.reset_at - self._clock()).total_seconds()
            if wait > 0:
                log.info(
                    f"{self.network} rate limit reached, waiting for the reset",
                    extra={
                        "action": f"{self.network}_rate_wait",
                        "endpoint": endpoint,
                        "seconds": wait,
                    },
                )
                await self._sleep(wait + 1.0)
            del self.limits[endpoint]

    def _remember_limit(self, endpoint: str, rate: RateLimit | None) -> None:
        if rate is not None:
            self.limits[endpoint] = rate
