"""The fake Bluesky's HTTP side: XRPC over aiohttp on loopback, as a PDS answers it.

`GET /xrpc/<query>` and `POST /xrpc/<procedure>`; errors are `{"error": ..., "message": ...}`
with the status a PDS gives; every answer carries `ratelimit-limit`, `ratelimit-remaining`,
`ratelimit-reset` (epoch seconds) and `ratelimit-policy`; a 429 answers `RateLimitExceeded`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from connectors.bluesky.fake.errors import XrpcError
from connectors.bluesky.fake.state import FakeBluesky
from connectors.common.fake_server import LOOPBACK, LoopbackServer, serve, timed

Handler = Callable[[web.Request, str | None], Awaitable[Any]]


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def _integer(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise XrpcError(400, "InvalidRequest", f"{name} must be an integer") from None
    if not low <= value <= high:
        raise XrpcError(400, "InvalidRequest", f"{name} must be between {low} and {high}")
    return value


def _required(request: web.Request, name: str) -> str:
    value = request.query.get(name)
    if not value:
        raise XrpcError(400, "InvalidRequest", f'Params must have the property "{name}"')
    return value


class FakeBlueskyServer(LoopbackServer):
    """Serves a FakeBluesky on 127.0.0.1 (an ephemeral port unless one is given)."""

    def __init__(self, fake: FakeBluesky, *, port: int = 0) -> None:
        self.fake = fake
        self._port = port
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._routes: dict[str, tuple[str, bool, Handler]] = {
            "com.atproto.server.createSession": ("POST", False, self._create_session),
            "com.atproto.server.refreshSession": ("POST", False, self._refresh_session),
            "com.atproto.server.getSession": ("GET", True, self._get_session),
            "app.bsky.notification.listNotifications": ("GET", True, self._notifications),
            "app.bsky.feed.getPostThread": ("GET", True, self._post_thread),
            "app.bsky.feed.getPosts": ("GET", True, self._get_posts),
            "com.atproto.repo.createRecord": ("POST", True, self._create_record),
            "com.atproto.repo.getRecord": ("GET", False, self._get_record),
        }

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    async def start(self) -> None:
        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_route("*", "/xrpc/{nsid}", self._dispatch)
        self._runner, self.port = await serve(app, self._port)

    async def stop(self) -> None:
        self.fake.faults.release_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- the wire -----------------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        nsid = request.match_info["nsid"]
        self.fake.requests[nsid] += 1
        started = time.monotonic()
        try:
            return await self._answer(request, nsid)
        finally:
            self.fake.timed_requests.append(timed(nsid, request, started))

    async def _answer(self, request: web.Request, nsid: str) -> web.StreamResponse:
        fake = self.fake
        route = self._routes.get(nsid)
        headers: dict[str, str] = {}
        try:
            if route is None:
                raise XrpcError(501, "MethodNotImplemented", "Method Not Implemented")
            method, needs_auth, handler = route
            if request.method != method:
                raise XrpcError(400, "InvalidRequest", "Incorrect HTTP method")
            caller = fake.sessions.caller(_bearer(request)) if needs_auth else None
            headers = self._rate_limit(nsid, caller or request.remote or "anonymous")
            self._injected_failure(nsid)
            body = await handler(request, caller)
        except _RateLimited as limited:
            return web.json_response(limited.body(), status=429, headers=limited.headers)
        except XrpcError as error:
            return web.json_response(error.body(), status=error.status, headers=headers)
        await self._hold(nsid)  # the work is done; only its answer is late
        if fake.faults.not_json[nsid] > 0:
            fake.faults.not_json[nsid] -= 1
            text = json.dumps(body)
            return web.Response(
                text=text[: len(text) // 2], content_type="application/json", headers=headers
            )
        return web.json_response(body, headers=headers)

    async def _hold(self, nsid: str) -> None:
        """Until the hold is lifted (`hold_answer(nsid, 0)`), its time is up, or the server
        stops: a held answer must not keep the server from shutting down."""
        seconds = self.fake.faults.hold_seconds.get(nsid, 0.0)
        if seconds <= 0:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.fake.faults.released(nsid).wait(), timeout=seconds)

    def _rate_limit(self, nsid: str, caller: str) -> dict[str, str]:
        """The rate-limit headers of this request; raises the 429 of a storm (its headers
        are then on the error, as a PDS sends them)."""
        fake = self.fake
        limit, remaining, reset = fake.spend(caller)
        window = int(fake.rate_window.total_seconds())
        storms = fake.faults.rate_limited.get(nsid)
        if not storms:
            return _headers(limit, remaining, reset, window)
        count, reset_after = storms[0]
        if count <= 1:
            storms.pop(0)
        else:
            storms[0] = (count - 1, reset_after)
        reset = fake.clock() + timedelta(seconds=reset_after)
        raise _RateLimited(_headers(limit, 0, reset, window))

    def _injected_failure(self, nsid: str) -> None:
        failures = self.fake.faults.fail.get(nsid)
        if not failures:
            return
        status, error, count = failures[0]
        if count <= 1:
            failures.pop(0)
        else:
            failures[0] = (status, error, count - 1)
        raise XrpcError(status, error, f"injected failure ({status})")

    # -- methods ------------------------------------------------------------------------

    async def _create_session(self, request: web.Request, caller: str | None) -> Any:
        return self.fake.create_session(await _json_body(request))

    async def _refresh_session(self, request: web.Request, caller: str | None) -> Any:
        return self.fake.refresh_session(_bearer(request))

    async def _get_session(self, request: web.Request, caller: str | None) -> Any:
        assert caller is not None
        account = self.fake.accounts[caller]
        return {"did": account.did, "handle": account.handle, "active": True}

    async def _notifications(self, request: web.Request, caller: str | None) -> Any:
        assert caller is not None
        return self.fake.list_notifications(
            caller,
            limit=_integer(request, "limit", 50, 1, 100),
            cursor=request.query.get("cursor"),
            reasons=request.query.getall("reasons", []),
        )

    async def _post_thread(self, request: web.Request, caller: str | None) -> Any:
        return self.fake.post_thread(
            _required(request, "uri"),
            depth=_integer(request, "depth", 6, 0, 1000),
            parent_height=_integer(request, "parentHeight", 80, 0, 1000),
        )

    async def _get_posts(self, request: web.Request, caller: str | None) -> Any:
        uris = request.query.getall("uris", [])
        if not uris:
            raise XrpcError(400, "InvalidRequest", 'Params must have the property "uris"')
        return self.fake.get_posts(uris)

    async def _create_record(self, request: web.Request, caller: str | None) -> Any:
        assert caller is not None
        return self.fake.create_record(caller, await _json_body(request))

    async def _get_record(self, request: web.Request, caller: str | None) -> Any:
        return self.fake.get_record(
            _required(request, "repo"), _required(request, "collection"), _required(request, "rkey")
        )


async def _json_body(request: web.Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        raise XrpcError(400, "InvalidRequest", "Request body is not JSON") from None


class _RateLimited(XrpcError):
    def __init__(self, headers: dict[str, str]) -> None:
        super().__init__(429, "RateLimitExceeded", "Rate Limit Exceeded")
        self.headers = headers


def _headers(limit: int, remaining: int, reset: datetime, window: int) -> dict[str, str]:
    return {
        "ratelimit-limit": str(limit),
        "ratelimit-remaining": str(remaining),
        "ratelimit-reset": str(int(reset.timestamp())),
        "ratelimit-policy": f"{limit};w={window}",
    }
