"""The fake Graph API over HTTP on loopback: the calls the inbox makes, in Graph's shapes.

Errors come back as Graph sends them: status 400 with `{"error": {"message", "type", "code",
"fbtrace_id"}}`. Nothing a client sends makes the fake crash.
"""

from __future__ import annotations

import asyncio
import hmac
import re
from typing import Any

from aiohttp import web

from connectors.common.fake_server import LoopbackServer, serve
from connectors.meta.fake.state import FACEBOOK, INSTAGRAM, FakeComment, FakeMeta, graph_time
from inbox.domain.network import Network

VERSION = "v21.0"
_MENTIONED = re.compile(
    r"^mentioned_(comment|media)\.(?:comment|media)_id\(([0-9_]+)\)(\{[a-z_,]*\})?$"
)
_MENTIONED_COMMENT_FIELDS = frozenset({"id", "text", "timestamp", "like_count", "media"})
_MENTIONED_MEDIA_FIELDS = frozenset(
    {"id", "caption", "timestamp", "username", "permalink", "media_type", "media_url",
     "like_count", "comments_count"}
)  # fmt: skip


def _error(message: str, code: int, kind: str = "GraphMethodException") -> web.Response:
    body = {"error": {"message": message, "type": kind, "code": code, "fbtrace_id": "AFakeTrace"}}
    return web.json_response(body, status=400)


def _unknown(object_id: str) -> web.Response:
    return _error(
        f"Unsupported request. Object with ID '{object_id[:64]}' does not exist, cannot be "
        "loaded due to missing permissions, or does not support this operation.",
        100,
    )


class FakeGraphServer(LoopbackServer):
    """`async with FakeGraphServer(fake) as server:` then point clients at `server.base_url`."""

    def __init__(self, fake: FakeMeta, host: str = "127.0.0.1") -> None:
        self.fake = fake
        self._host = host
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://{self._host}:{self.port}/{VERSION}"

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._authenticated])
        app.router.add_post(r"/{version:v[0-9.]+}/{object_id}/{edge:comments|replies}", self._reply)
        app.router.add_get(r"/{version:v[0-9.]+}/{object_id}/{edge:comments|replies}", self._list)
        app.router.add_get(r"/{version:v[0-9.]+}/{object_id}", self._node)
        return app

    async def start(self) -> None:
        self._runner, self.port = await serve(self.app(), host=self._host)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @web.middleware
    async def _authenticated(self, request: web.Request, handler: Any) -> web.StreamResponse:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() not in ("bearer", "oauth"):
            token = request.query.get("access_token", "")
        if not token:
            return _error(
                "An active access token must be used to query information.", 2500, "OAuthException"
            )
        if not hmac.compare_digest(token.encode(), self.fake.access_token.encode()):
            return _error(
                "Invalid OAuth access token - Cannot parse access token", 190, "OAuthException"
            )
        response: web.StreamResponse = await handler(request)
        return response

    def _comment(self, request: web.Request) -> tuple[FakeComment | None, Network]:
        network = INSTAGRAM if request.match_info["edge"] == "replies" else FACEBOOK
        comment = self.fake.comments.get(request.match_info["object_id"])
        if comment is None or comment.network is not network:
            return None, network
        return comment, network

    async def _reply(self, request: web.Request) -> web.Response:
        comment, network = self._comment(request)
        if comment is None:
            return _unknown(request.match_info["object_id"])
        form = await request.post()
        message = form.get("message")
        if not isinstance(message, str) or not message.strip():
            return _error("(#100) The parameter message is required", 100)
        posted = self.fake.reply(network, comment.id, message)
        # Taken, not yet answered: a client that dies now has posted without knowing it. The
        # hold ends early when the test sets it back to 0.
        waited = 0.0
        while waited < self.fake.hold_seconds:
            await asyncio.sleep(0.05)
            waited += 0.05
        return web.json_response({"id": posted.id})

    async def _list(self, request: web.Request) -> web.Response:
        comment, network = self._comment(request)
        if comment is None:
            return _unknown(request.match_info["object_id"])
        replies = sorted(self.fake.replies_of(comment.top_level), key=lambda c: c.created_at)
        if request.query.get("order") == "reverse_chronological":
            replies.reverse()
        limit = min(int(request.query.get("limit", "25") or 25), 100)
        shape = _instagram_reply if network is INSTAGRAM else _facebook_comment
        return web.json_response({"data": [shape(c) for c in replies[:limit]], "paging": {}})

    async def _node(self, request: web.Request) -> web.Response:
        object_id = request.match_info["object_id"]
        if object_id != self.fake.instagram_id:
            return _unknown(object_id)
        match = _MENTIONED.match(request.query.get("fields", ""))
        if match is None:
            return _error(
                "(#100) fields: only mentioned_comment.comment_id(...) and "
                "mentioned_media.media_id(...) are faked",
                100,
            )
        caption = match[1] == "media"
        known = _MENTIONED_MEDIA_FIELDS if caption else _MENTIONED_COMMENT_FIELDS
        default = "{id,caption,timestamp}" if caption else "{id,text,timestamp}"
        wanted = (match[3] or default).strip("{}").split(",")
        if not set(wanted) <= known:
            extra = ", ".join(sorted(set(wanted) - known))
            return _error(f"(#100) Tried accessing nonexisting field ({extra})", 100)
        found = self.fake.comments.get(match[2])
        if found is None or not found.mention or found.caption != caption:
            return _unknown(match[2])
        full: dict[str, Any] = {
            "id": found.id,
            "timestamp": graph_time(found.created_at),
            "like_count": 0,
        }
        if caption:
            full |= {
                "caption": found.text,
                "username": found.author_name,
                "permalink": f"https://www.instagram.com/p/{found.id}/",
                "media_type": found.media_type,
                "media_url": found.media_url,
                "comments_count": 0,
            }
        else:
            full |= {"text": found.text, "media": {"id": found.post_id}}
        answer = {name: full[name] for name in wanted if full.get(name) is not None}
        key = "mentioned_media" if caption else "mentioned_comment"
        return web.json_response({key: answer, "id": object_id})


def _facebook_comment(comment: FakeComment) -> dict[str, Any]:
    return {
        "id": comment.id,
        "message": comment.text,
        "from": {"id": comment.author_id, "name": comment.author_name},
        "created_time": graph_time(comment.created_at),
    }


def _instagram_reply(comment: FakeComment) -> dict[str, Any]:
    return {
        "id": comment.id,
        "text": comment.text,
        "username": comment.author_name,
        "from": {"id": comment.author_id, "username": comment.author_name},
        "timestamp": graph_time(comment.created_at),
    }
