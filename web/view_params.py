"""What a page asks of an inbox view in its query string: the filters, and some thread ids."""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from inbox.domain.tags import checked_tag
from inbox.domain.web import InboxFilters

FILTERS = ("network", "kind", "priority", "language", "topic", "sla", "tag")


def view_filters(request: web.Request) -> InboxFilters:
    return filters_from(request.query)


def filters_from(query: Mapping[str, str]) -> InboxFilters:
    """The filters named in a query string (an address's, or a page's own)."""
    asked = {name: (query.get(name, "")[:64] or None) for name in FILTERS}
    if asked["tag"] is not None:
        # Tags are kept in one spelling: "Billing " finds "billing".
        asked["tag"] = checked_tag(asked["tag"])
    return InboxFilters(**asked)


def thread_ids(listed: str | None, most: int) -> frozenset[int] | None:
    """Thread ids from `1,2,3` (at most `most` of them, the rest ignored); None if absent."""
    if listed is None:
        return None
    return frozenset(int(part) for part in listed.split(",")[:most] if part.isdigit())
