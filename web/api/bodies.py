"""Request bodies of the JSON API."""

from __future__ import annotations

from aiohttp import web

from inbox.domain.documents import read_json
from web.errors import BadRequestError


async def json_object(request: web.Request) -> dict[str, object]:
    """The request's JSON object; 400 naming the problem for anything else (malformed, too
    deeply nested, NaN or Infinity, not an object)."""
    body = read_json(await request.read(), "body")
    if not isinstance(body, dict):
        raise BadRequestError("body", "expected a JSON object")
    return body
