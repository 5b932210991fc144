"""How the project's errors become HTTP answers."""

from __future__ import annotations

import functools

from aiohttp import web

from inbox.domain.errors import (
    ConfigurationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
)
from web.keys import Handler


def translated(handler: Handler) -> Handler:
    """A page handler whose domain errors become their HTTP answers (the JSON API has its
    own middleware for this)."""

    @functools.wraps(handler)
    async def answer(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except NotFoundError as exc:
            raise web.HTTPNotFound(text=str(exc)) from exc
        except PermissionDeniedError as exc:
            raise web.HTTPForbidden(text=str(exc)) from exc
        except ConfigurationError as exc:
            raise web.HTTPBadRequest(text=str(exc)) from exc
        except ConflictError as exc:
            raise web.HTTPConflict(text=str(exc)) from exc

    return answer
