"""Reading ids, numbers and dates from a request's path and query string.

Ids are PostgreSQL bigints: anything outside their range names nothing and must not reach the
driver. The API says which parameter is wrong (400); a page's address that names nothing is
simply not found (404).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from aiohttp import web

from inbox.domain.errors import NotFoundError
from web.errors import BadRequestError

LARGEST_ID = 2**63 - 1


def page_id(request: web.Request, name: str, kind: str) -> int:
    """The id of the `kind` a page's address names, or NotFoundError."""
    raw = request.match_info[name]
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 1 <= value <= LARGEST_ID:
        raise NotFoundError(kind, raw[:20])
    return value


def path_id(request: web.Request, name: str) -> int:
    """A positive id from the path, or a 400 naming it."""
    raw = request.match_info[name]
    try:
        value = int(raw)
    except ValueError as exc:
        raise BadRequestError(name, f"expected an integer, got {raw[:40]!r}") from exc
    if not 1 <= value <= LARGEST_ID:
        raise BadRequestError(name, f"an id between 1 and {LARGEST_ID}")
    return value


def int_param(request: web.Request, name: str, default: int | None) -> int | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise BadRequestError(name, f"expected an integer, got {raw[:40]!r}") from exc
    if not -LARGEST_ID <= value <= LARGEST_ID:
        raise BadRequestError(name, "out of range")
    return value


def day_param(request: web.Request, name: str, default: date) -> datetime:
    """Midnight UTC of the day `YYYY-MM-DD` in the query, or of `default`."""
    raw = request.query.get(name)
    try:
        day = date.fromisoformat(raw) if raw else default
    except ValueError as exc:
        raise BadRequestError(
            name, f"expected a date YYYY-MM-DD, got {(raw or '')[:40]!r}"
        ) from exc
    return datetime.combine(day, time(), tzinfo=UTC)
