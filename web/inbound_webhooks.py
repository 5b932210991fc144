"""Public routes that receive signed webhook deliveries: /api/v1/inbound/{workspace}/{source},
a sub-application of the API with its own error middleware (the senders' protocol, not the
API's: a bad signature is not a missing token).

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
from web.errors import json_error
from web.keys import Handler

INBOUND_WEBHOOKS = web.AppKey("inbound_webhooks", ReceiveWebhooks)
PREFIX = "/inbound"
PATH = "/{workspace}/{source}"


@web.middleware
async def delivery_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except NotFoundError:
        # The same answer whether the workspace or the source is unknown.
        return json_error(404, "not_found", "no such webhook source")
    except PayloadTooLarge as error:
        return json_error(413, "too_large", str(error))
    except SignatureRejected as error:
        return json_error(401, "bad_signature", str(error))
    except HandshakeRefused as error:
        return json_error(403, "forbidden", str(error))


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
    receiver = _receiver(request)
    body = await _body(request)
    receipt = await receiver.deliver(workspace, source, body, request.headers)
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
    challenge = await _receiver(request).handshake(
        request.match_info["workspace"],
        request.match_info["source"],
        request.query.get("hub.mode"),
        request.query.get("hub.verify_token"),
        request.query.get("hub.challenge"),
    )
    return web.Response(text=challenge, content_type="text/plain")


def add_inbound_webhooks(api: web.Application, receiver: ReceiveWebhooks | None) -> None:
    """Under the API, as a sub-application of its own. The routes always exist; without a
    receiver they answer 404 like an unknown source."""
    inbound = web.Application(middlewares=[delivery_errors])
    if receiver is not None:
        inbound[INBOUND_WEBHOOKS] = receiver
    inbound.router.add_post(PATH, receive)
    inbound.router.add_get(PATH, handshake)
    api.add_subapp(PREFIX, inbound)
