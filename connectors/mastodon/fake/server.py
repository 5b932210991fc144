"""A fake Mastodon instance over HTTP on loopback, in Mastodon's wire format.

It serves what the connector uses: `verify_credentials`, `/api/v2/instance` (whose streaming
URL points back here), mention notifications paginated by `max_id` / `min_id` / `since_id`
with `Link` headers, statuses (one, or several by `id[]`) and their context, an account's
statuses, posting a status (with `Idempotency-Key`), and the user stream as server-sent events
with `:thump` heartbeats. Every answer carries `X-RateLimit-*` headers; 429s, errors and
malformed bodies are scripted on the world (`FakeMastodon`). Bearer tokens are checked; nothing
listens beyond 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import json
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from itertools import islice
from typing import Any

from aiohttp import web

from connectors.common.fake_server import LOOPBACK, LoopbackServer, serve, timed
from connectors.mastodon.fake.state import (
    FakeMastodon,
    FakeNotification,
    FakeStatus,
    StreamBreak,
    iso,
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ACCOUNT: web.RequestKey[str] = web.RequestKey("account", str)
WORLD: web.AppKey[FakeMastodon] = web.AppKey("world", FakeMastodon)

# Which scripted endpoint each route is.
ENDPOINTS = {
    "/api/v1/notifications": "notifications",
    "/api/v1/statuses": "post_status",
    "/api/v1/accounts/verify_credentials": "verify_credentials",
    "/api/v2/instance": "instance",
    "/api/v1/streaming/user": "stream",
}
PUBLIC_PATHS = frozenset({"/api/v2/instance", "/api/v1/streaming/health"})


def endpoint_of(request: web.Request) -> str:
    path = request.path
    if path == "/api/v1/statuses" and request.method == "GET":
        return "statuses"
    if path in ENDPOINTS:
        return ENDPOINTS[path]
    if path.endswith("/context"):
        return "context"
    if path.startswith("/api/v1/accounts/") and path.endswith("/statuses"):
        return "account_statuses"
    if path.startswith("/api/v1/statuses/"):
        return "status"
    return "other"


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        body=json.dumps(body, separators=(",", ":")).encode(),
        status=status,
        content_type="application/json",
        headers=headers,
    )


def _error(status: int, message: str) -> web.Response:
    return _json({"error": message}, status)


@web.middleware
async def _gatekeeper(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Authentication, rate-limit headers and scripted trouble, before any handler."""
    world = request.app[WORLD]
    endpoint = endpoint_of(request)
    world.requests[endpoint] = world.requests.get(endpoint, 0) + 1
    started = time.monotonic()
    try:
        return await _guarded(request, handler, world, endpoint)
    finally:
        world.timed_requests.append(timed(endpoint, request, started))


async def _guarded(
    request: web.Request, handler: Handler, world: FakeMastodon, endpoint: str
) -> web.StreamResponse:
    if request.path in PUBLIC_PATHS:
        return await handler(request)
    token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    account_id = world.tokens.get(token)
    if account_id is None:
        return _error(401, "The access token is invalid")
    limit, remaining, reset, exceeded = world.spend(token)
    headers = {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": iso(reset),
    }
    storms = world.script.storms.get(endpoint)
    if storms:
        reset_at = world.clock() + timedelta(seconds=storms.pop(0))
        headers.update({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": iso(reset_at)})
        return _json({"error": "Too many requests"}, 429, headers)
    if exceeded:
        return _json({"error": "Too many requests"}, 429, headers)
    failures = world.script.failures.get(endpoint)
    if failures:
        status = failures.pop(0)
        return _json({"error": f"scripted failure {status}"}, status, headers)
    request[ACCOUNT] = account_id
    response = await handler(request)
    if not response.prepared:
        response.headers.update(headers)
    return response


# -- handlers --------------------------------------------------------------------------------------


async def verify_credentials(request: web.Request) -> web.Response:
    world = request.app[WORLD]
    return _json(world.account_json(world.accounts[request[ACCOUNT]]))


async def instance(request: web.Request) -> web.Response:
    world = request.app[WORLD]
    here = f"ws://{request.host}"
    return _json(
        {
            "domain": world.domain,
            "title": "Fake Mastodon",
            "version": "4.3.0",
            "source_url": "https://github.com/mastodon/mastodon",
            "description": "A fake instance for tests",
            "configuration": {"urls": {"streaming": here}},
            "registrations": {"enabled": False, "approval_required": False},
            "contact": {"email": "", "account": None},
            "rules": [],
        }
    )


def _id_key(value: str) -> tuple[int, str]:
    return (len(value), value)


def _notification_key(notification: FakeNotification) -> tuple[int, str]:
    return _id_key(notification.id)


async def notifications(request: web.Request) -> web.Response:
    world = request.app[WORLD]
    account_id = request[ACCOUNT]
    query = request.query
    types = set(query.getall("types[]", []))
    excluded = set(query.getall("exclude_types[]", []))
    try:
        limit = min(max(int(query.get("limit", "40")), 1), 80)
    except ValueError:
        return _error(422, "limit must be a number")

    def wanted(n: FakeNotification) -> bool:
        return (
            n.recipient_id == account_id
            and (not types or n.type in types)
            and n.type not in excluded
        )

    # Notifications are kept in the order of their ids: a page is found from its bounds,
    # not by filtering and sorting them all (the benchmarks' fake would slow down as it fills).
    kept = world.notifications
    above = max((_id_key(query[k]) for k in ("since_id", "min_id") if k in query), default=None)
    top = len(kept)
    if "max_id" in query:
        top = bisect.bisect_left(kept, _id_key(query["max_id"]), key=_notification_key)
    bottom = 0 if above is None else bisect.bisect_right(kept, above, key=_notification_key)
    if "min_id" in query:
        # The page just above min_id: the oldest newer ones, still sent newest first.
        page = list(islice(filter(wanted, kept[bottom:top]), limit))[::-1]
    else:
        page = list(islice(filter(wanted, reversed(kept[bottom:top])), limit))
    world.reads += len(page)
    body = [world.notification_json(n) for n in page]
    _malform(world, "notifications", body)
    headers = _link_headers(request, page)
    return _maybe_raw(world, "notifications", body, headers)


def _link_headers(request: web.Request, page: list[FakeNotification]) -> dict[str, str]:
    if not page:
        return {}
    base = f"http://{request.host}{request.path}"
    types = "".join(f"types%5B%5D={t}&" for t in request.query.getall("types[]", []))
    return {
        "Link": f'<{base}?{types}max_id={page[-1].id}>; rel="next", '
        f'<{base}?{types}min_id={page[0].id}>; rel="prev"'
    }


def _malform(world: FakeMastodon, endpoint: str, body: list[dict[str, Any]]) -> None:
    kinds = world.script.malformed.get(endpoint)
    if not kinds or kinds[0] in ("invalid_json", "not_a_list") or not body:
        return
    kind = kinds.pop(0)
    target = next((item for item in body if item.get("status")), body[0])
    status = target.get("status") or target
    if kind == "missing_created_at":
        status.pop("created_at", None)
    elif kind == "bad_visibility":
        status["visibility"] = "everyone"


def _maybe_raw(
    world: FakeMastodon, endpoint: str, body: Any, headers: dict[str, str]
) -> web.Response:
    kinds = world.script.malformed.get(endpoint)
    if kinds and kinds[0] == "invalid_json":
        kinds.pop(0)
        text = json.dumps(body)
        return web.Response(
            body=text[: max(1, len(text) // 2)].encode(),
            content_type="application/json",
            headers=headers,
        )
    if kinds and kinds[0] == "not_a_list":
        kinds.pop(0)
        return _json({"notifications": body}, headers=headers)
    return _json(body, headers=headers)


def _visible_status(request: web.Request) -> FakeStatus | None:
    world = request.app[WORLD]
    status = world.statuses.get(request.match_info["id"])
    if status is None or not world.visible(status, request[ACCOUNT]):
        return None
    return status


async def status(request: web.Request) -> web.Response:
    found = _visible_status(request)
    if found is None:
        return _error(404, "Record not found")
    return _json(request.app[WORLD].status_json(found))


async def statuses(request: web.Request) -> web.Response:
    """`GET /api/v1/statuses?id[]=...` (Mastodon 4.3): the statuses that exist and the
    account may see, in the order asked; the others are left out, without an error."""
    world = request.app[WORLD]
    ids = list(dict.fromkeys(request.query.getall("id[]", [])))
    if len(ids) > 20:
        return _error(422, "Too many ids requested")
    found = [world.statuses.get(status_id) for status_id in ids]
    viewer = request[ACCOUNT]
    return _json([world.status_json(s) for s in found if s and world.visible(s, viewer)])


async def context(request: web.Request) -> web.Response:
    world = request.app[WORLD]
    found = _visible_status(request)
    if found is None:
        return _error(404, "Record not found")
    ancestors: list[FakeStatus] = []
    parent_id = found.in_reply_to_id
    while parent_id is not None and len(ancestors) < 40:
        parent = world.statuses.get(parent_id)
        if parent is None or not world.visible(parent, request[ACCOUNT]):
            break
        ancestors.append(parent)
        parent_id = parent.in_reply_to_id
    descendants = _descendants(world, found.id, request[ACCOUNT])
    return _json(
        {
            "ancestors": [world.status_json(s) for s in reversed(ancestors)],
            "descendants": [world.status_json(s) for s in descendants],
        }
    )


def _descendants(world: FakeMastodon, status_id: str, viewer: str) -> list[FakeStatus]:
    found: list[FakeStatus] = []
    frontier = [status_id]
    while frontier and len(found) < 60:
        children = [
            s
            for s in world.statuses.values()
            if s.in_reply_to_id in frontier and world.visible(s, viewer)
        ]
        found.extend(children)
        frontier = [s.id for s in children]
    return found


async def account_statuses(request: web.Request) -> web.Response:
    world = request.app[WORLD]
    account_id = request.match_info["id"]
    if account_id not in world.accounts:
        return _error(404, "Record not found")
    try:
        limit = min(max(int(request.query.get("limit", "20")), 1), 40)
    except ValueError:
        return _error(422, "limit must be a number")
    statuses = [
        s
        for s in world.statuses.values()
        if s.account_id == account_id and world.visible(s, request[ACCOUNT])
    ]
    statuses.sort(key=lambda s: _id_key(s.id), reverse=True)
    if "max_id" in request.query:
        statuses = [s for s in statuses if _id_key(s.id) < _id_key(request.query["max_id"])]
    return _json([world.status_json(s) for s in statuses[:limit]])


async def post_status(request: web.Request) -> web.Response:
    world = request.app[WORLD]
    author = request[ACCOUNT]
    if request.content_type == "application/json":
        try:
            form: dict[str, Any] = await request.json()
        except ValueError:
            return _error(400, "the body is not JSON")
    else:
        form = dict(await request.post())
    text = form.get("status")
    if not isinstance(text, str) or not text.strip():
        return _error(422, "Validation failed: Text can't be blank")
    if len(text) > 500:
        return _error(422, "Validation failed: Text character limit of 500 exceeded")
    visibility = str(form.get("visibility") or "public")
    if visibility not in ("public", "unlisted", "private", "direct"):
        return _error(422, "Validation failed: Visibility is not included in the list")
    reply_to = form.get("in_reply_to_id")
    if reply_to is not None:
        parent = world.statuses.get(str(reply_to))
        if parent is None or not world.visible(parent, author):
            return _error(404, "Record not found")
    key = request.headers.get("Idempotency-Key")
    existing = world.idempotency.get((author, key)) if key else None
    if existing is not None:
        return _json(world.status_json(world.statuses[existing]))
    status_id = world.post(
        author, text, reply_to=str(reply_to) if reply_to else None, visibility=visibility
    )
    if key:
        world.idempotency[(author, key)] = status_id
    world.posted.append(world.statuses[status_id])
    held = world.script.held.get("post_status")
    if held:
        # The status exists; only the answer is late (a crash here is the case under test).
        await asyncio.sleep(held)
    return _json(world.status_json(world.statuses[status_id]))


async def streaming_health(request: web.Request) -> web.Response:
    return web.Response(text="OK")


async def stream_user(request: web.Request) -> web.StreamResponse:
    world = request.app[WORLD]
    account_id = request[ACCOUNT]
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"}
    )
    await response.prepare(request)
    queue = world.subscribe(account_id)
    try:
        await response.write(b":)\n")
        while True:
            try:
                item = await asyncio.wait_for(queue.get(), timeout=world.keepalive_seconds)
            except TimeoutError:
                await response.write(b":thump\n")
                continue
            if isinstance(item, StreamBreak):
                if item.mid_event:
                    await response.write(b'event: notification\ndata: {"id":"9')
                break
            await response.write(item)
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        world.unsubscribe(account_id, queue)
    # Ending the handler without a clean end of the stream: the client sees a cut connection.
    if request.transport is not None:
        request.transport.close()
    return response


def build_app(world: FakeMastodon) -> web.Application:
    app = web.Application(middlewares=[_gatekeeper])
    app[WORLD] = world
    app.router.add_get("/api/v1/accounts/verify_credentials", verify_credentials)
    app.router.add_get("/api/v2/instance", instance)
    app.router.add_get("/api/v1/notifications", notifications)
    app.router.add_get("/api/v1/statuses", statuses)
    app.router.add_get("/api/v1/statuses/{id}", status)
    app.router.add_get("/api/v1/statuses/{id}/context", context)
    app.router.add_get("/api/v1/accounts/{id}/statuses", account_statuses)
    app.router.add_post("/api/v1/statuses", post_status)
    app.router.add_get("/api/v1/streaming/health", streaming_health)
    app.router.add_get("/api/v1/streaming/user", stream_user)
    return app


class FakeMastodonServer(LoopbackServer):
    """`async with FakeMastodonServer(world) as server:` serves at `server.url`."""

    def __init__(self, world: FakeMastodon, *, port: int = 0) -> None:
        self.world = world
        self._port = port
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    async def start(self) -> None:
        self._runner, self.port = await serve(build_app(self.world), self._port, shutdown_timeout=1)

    async def stop(self) -> None:
        self.world.break_streams()
        if self._runner is not None:
            with contextlib.suppress(Exception):
                await self._runner.cleanup()
            self._runner = None
