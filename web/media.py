"""The image proxy: `GET /media/{link}` answers a message's picture from this site.

A sub-application of its own, with its own error middleware: a refusal is not a page but
the answer to an `<img>`, so it is a short text with the status that says why:

| why                                                                 | status |
|---------------------------------------------------------------------|--------|
| no session; a link altered, expired, or made for another workspace  | 403    |
| no such message or attachment (any more)                            | 404    |
| not a JPEG, PNG, GIF or WebP image (HTML, SVG)                      | 415    |
| larger than the proxy carries                                       | 413    |
| the host failed, refused or redirected too often; a refused address | 502    |
| the media host too slow                                             | 504    |

The picture itself is answered with the type its bytes show (never the one its host
declared), `nosniff`, a Content-Security-Policy that allows nothing (an image opened on its
own runs nothing), and kept by the person's browser only, until its link expires. The rules
are in inbox/domain/media_proxy.py, the fetching in connectors/common/image_fetch.py.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from aiohttp import web

from inbox.domain.errors import NotFoundError, PermissionDeniedError
from inbox.domain.media_proxy import MediaRefusal, MediaUnavailableError
from web.keys import SERVICES, Handler, services_of
from web.session import current_session

log = logging.getLogger(__name__)

PREFIX = "/media"
REFUSAL_STATUS = {
    MediaRefusal.NOT_AN_IMAGE: 415,
    MediaRefusal.TOO_LARGE: 413,
    MediaRefusal.UNREACHABLE: 502,
    MediaRefusal.FORBIDDEN_DESTINATION: 502,
    MediaRefusal.TOO_SLOW: 504,
}
# Nothing in an answer of the proxy may run or load anything, even opened on its own.
CSP = "default-src 'none'; sandbox"


def _answer_headers() -> dict[str, str]:
    return {
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        # Only this site's pages draw these pictures.
        "Cross-Origin-Resource-Policy": "same-origin",
    }


def _refusal(status: int, reason: str) -> web.Response:
    response = web.Response(status=status, text=reason, content_type="text/plain")
    response.headers.update(_answer_headers())
    response.headers["Cache-Control"] = "no-store"
    return response


@web.middleware
async def media_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except MediaUnavailableError as exc:
        log.info(
            "image not proxied",
            extra={"action": "media_refused", "refusal": exc.refusal.value,
                   "reason": exc.reason},
        )  # fmt: skip
        return _refusal(REFUSAL_STATUS[exc.refusal], exc.reason)
    except PermissionDeniedError as exc:
        return _refusal(403, str(exc))
    except NotFoundError:
        return _refusal(404, "there is no such image")


async def proxied_image(request: web.Request) -> web.Response:
    session = await current_session(request)
    if session is None:
        raise PermissionDeniedError("log in to see this image")
    proxied = await services_of(request).media.image(session, request.match_info["link"])
    response = web.Response(body=proxied.image.body, content_type=proxied.image.content_type)
    response.headers.update(_answer_headers())
    response.headers["Content-Disposition"] = "inline"
    response.headers["Cache-Control"] = f"private, max-age={proxied.max_age}, immutable"
    return response


async def _fetcher(app: web.Application) -> AsyncIterator[None]:
    """One pool of connections to media hosts while the application serves."""
    async with app[SERVICES].media.running():
        yield


def add_media_proxy(app: web.Application) -> None:
    media = web.Application(middlewares=[media_errors])
    media.router.add_get("/{link}", proxied_image)
    app.add_subapp(PREFIX, media)
    # On the outer application: it holds the services (web.keys).
    app.cleanup_ctx.append(_fetcher)
