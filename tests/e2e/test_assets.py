"""The stylesheet and the script under names that carry their content's hash."""

from __future__ import annotations

import re

import aiohttp
import pytest

pytestmark = pytest.mark.integration

Client = tuple[aiohttp.ClientSession, str]


async def test_pages_link_hashed_assets_that_browsers_may_keep_forever(client: Client) -> None:
    session, base = client
    async with session.get(f"{base}/login") as answer:
        html = await answer.text()
    found = re.findall(r'(?:href|src)="(/static/inbox\.[0-9a-f]{12}\.(css|js))"', html)
    assert sorted(kind for _, kind in found) == ["css", "js"]
    for address, kind in found:
        async with session.get(f"{base}{address}") as answer:
            assert answer.status == 200
            assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable"
            assert answer.content_type == ("text/css" if kind == "css" else "text/javascript")
            etag = answer.headers["ETag"]
        async with session.get(f"{base}{address}", headers={"If-None-Match": etag}) as answer:
            assert answer.status == 304


async def test_plain_names_answer_but_are_checked_again_and_nothing_else_is_served(
    client: Client,
) -> None:
    session, base = client
    async with session.get(f"{base}/static/inbox.css") as answer:
        assert answer.status == 200
        assert answer.headers["Cache-Control"] == "no-cache"
        assert "--sla-at-risk" in await answer.text()
    for path in ("/static/inbox.000000000000.css", "/static/..%2Fpages.py", "/static/ui.html"):
        async with session.get(f"{base}{path}") as answer:
            assert answer.status == 404, path
