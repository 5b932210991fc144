"""Who calls the JSON API (and /metrics): the workspace and role of a bearer token."""

from __future__ import annotations

from aiohttp import web

from inbox.domain.errors import AuthenticationError
from inbox.usecases.tokens import Caller
from web.keys import services_of


async def caller_of(request: web.Request) -> Caller:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("send an API token as 'Authorization: Bearer <token>'")
    return await services_of(request).tokens.authenticate(token.strip())
