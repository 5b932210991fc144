"""Public routes that receive signed webhook deliveries: /api/v1/inbound/{workspace}/{source}.

No session and no token: each delivery proves itself by its signature (the use case checks it
before reading anything). The body is read up to the limit and no further. Answers are small
JSON objects, the same for Meta and generic senders; Meta retries anything but a 2xx, so a
signed but malformed delivery is still answered 200, its payload quarantined.
"""

from __future__ import annotations

from aiohttp import web

from inbox.domain.errors import NotFoundError
from inbox.domain.inbound_webhooks import (
    MAX_BODY_BYTES,
    HandshakeRefused,
    PayloadTooLarge,
    SignatureRejected,
)
from inbox.usecases.inbound_webhooks import ReceiveWebhooks

INBOUND_WEBHOOKS = web.AppKey("inbound_webhooks", ReceiveWebhooks)
PATH = "/api/v1/inbound/{workspace}/{source}"


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


def _receiver(request: web.Request) -> ReceiveWebhooks:
    receiver = request.app.get(INBOUND_WEBHOOKS)
    if receiver is None:
        raise NotFoundError("webhook source", request.match_info["source"])
    return receiver


async def _body(request: web.Request) -> bytes:
    """The raw body, refused as soon as it passes the limit (before it is all read)."""
    declared = request.content_length
    if declared is not None and declared > MAX_BODY_BYTES:
        raise PayloadTooLarge(declared)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise PayloadTooLarge(size)
        chunks.append(chunk)
    return b"".join(chunks)


async def receive(request: web.Request) -> web.Response:
    workspace, source = request.match_info["workspace"], request.match_info["source"]
    try:
        receiver = _receiver(request)
        body = await _body(request)
        receipt = await receiver.deliver(workspace, source, body, request.headers)
    except NotFoundError:
        return _error(404, "not_found", "no such webhook source")
    except PayloadTooLarge as error:
        return _error(413, "too_large", str(error))
    except SignatureRejected as error:
        return _error(401, "bad_signature", str(error))
    return web.json_response(
        {
            "added": receipt.added,
            "duplicates": receipt.duplicates,
            "quarantined": receipt.quarantined,
            "ignored": receipt.ignored,
        }
    )


async def handshake(request: web.Request) -> web.Response:
    """Meta's subscription check: the challenge echoed as plain text, or 403."""
    try:
        challenge = await _receiver(request).handshake(
            request.match_info["workspace"],
            request.match_info["source"],
            request.query.get("hub.mode"),
            request.query.get("hub.verify_token"),
            request.query.get("hub.challenge"),
        )
    except NotFoundError:
        return _error(404, "not_found", "no such webhook source")
    except HandshakeRefused as error:
        return _error(403, "forbidden", str(error))
    return web.Response(text=challenge, content_type="text/plain")


def add_inbound_webhooks(app: web.Application, receiver: ReceiveWebhooks | None) -> None:
    """The routes always exist; without a receiver they answer 404 like an unknown source."""
    if receiver is not None:
        app[INBOUND_WEBHOOKS] = receiver
    app.router.add_post(PATH, receive)
    app.router.add_get(PATH, handshake)
