"""The inbox's page reads its session in the same statement as its list: a session ended,
a person deactivated or demoted anywhere is refused by the very next page, whichever server
of the deployment answers it (here a second application on the same database, as another
process would be)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from inbox.bootstrap import build_services
from inbox.domain.people import Role
from inbox.store.database import Database
from tests.e2e.site import Site, csrf_of, page_text, session_of
from tests.factories import mention
from web.app import create_app

pytestmark = pytest.mark.integration

INBOX = "/inbox?view=all"


@asynccontextmanager
async def another_server(db: Database, workspace_id: int) -> AsyncIterator[str]:
    """The site served again by an application of its own (its own services and memory)."""
    server = TestServer(create_app(build_services(db), workspace_id), host="127.0.0.1", port=0)
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


async def status_of(session: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    async with session.get(url, allow_redirects=False) as answer:
        return answer.status, answer.headers.get("Location", "")


async def test_the_inbox_shows_the_view_and_the_selection_toolbar_to_a_signed_in_agent(
    site: Site,
) -> None:
    await site.hire("ana@example.com")
    await site.hire("bob@example.com")
    await site.ingest(mention("1", conversation="c1", text="no signal since this morning"))
    await site.sign_in("ana@example.com")
    html = await site.text(INBOX)
    assert "no signal since this morning" in html
    # Whom the selection may be given to: colleagues but the reader, after "Me".
    assert ">bob</option>" in html
    assert ">ana</option>" not in html


async def test_the_inbox_refuses_a_session_signed_out_on_another_server_at_once(
    site: Site,
) -> None:
    await site.hire("ana@example.com")
    await site.sign_in("ana@example.com")
    page = await site.text(INBOX)
    # The same browser (its cookie) logs out through the other server.
    async with (
        another_server(site.db, site.workspace_id) as other,
        site.session.post(
            f"{other}/logout", data={"csrf": csrf_of(page)}, allow_redirects=False
        ) as answer,
    ):
        assert answer.status == 303
    assert await status_of(site.session, f"{site.base}{INBOX}") == (303, "/login")


async def test_the_inbox_refuses_a_person_demoted_to_the_community_at_once(site: Site) -> None:
    await site.hire("ana@example.com")
    await site.sign_in("ana@example.com")
    await page_text(site.session, f"{site.base}{INBOX}")
    async with site.db.connection() as conn:
        await conn.execute(
            "UPDATE agent SET roles = $2 WHERE workspace_id = $1 AND email = 'ana@example.com'",
            site.workspace_id,
            [Role.COMMUNITY.value],
        )
    async with site.session.get(f"{site.base}{INBOX}") as answer:
        assert answer.status == 403
        # The refusal still knows who asked: it offers to log in as someone else.
        assert "Log in as someone else" in await answer.text()


async def test_the_inbox_refuses_a_deactivated_person_at_once(site: Site) -> None:
    await site.hire("ana@example.com")
    await site.sign_in("ana@example.com")
    await page_text(site.session, f"{site.base}{INBOX}")
    async with site.db.connection() as conn:
        await conn.execute(
            "UPDATE agent SET active = false WHERE workspace_id = $1 AND email = $2",
            site.workspace_id,
            "ana@example.com",
        )
    assert await status_of(site.session, f"{site.base}{INBOX}") == (303, "/login")


async def test_the_inbox_refuses_an_expired_session_and_a_forged_cookie(site: Site) -> None:
    await site.hire("ana@example.com")
    await site.sign_in("ana@example.com")
    async with site.db.connection() as conn:
        await conn.execute(
            "UPDATE web_session SET expires_at = now() - interval '1 second'"
            " WHERE workspace_id = $1",
            site.workspace_id,
        )
    assert await status_of(site.session, f"{site.base}{INBOX}") == (303, "/login")
    async with aiohttp.ClientSession(
        cookie_jar=aiohttp.CookieJar(unsafe=True),
        cookies={"inbox_session": f"{site.workspace_id}.not-a-session"},
    ) as forger:
        assert await status_of(forger, f"{site.base}{INBOX}") == (303, "/login")


async def test_each_person_sees_their_own_rail_and_a_change_of_status_on_the_next_page(
    site: Site,
) -> None:
    await site.hire("ana@example.com")
    await site.hire("bob@example.com")
    await site.sign_in("ana@example.com")
    async with session_of(site.base, "bob@example.com") as bob:
        bobs = await page_text(bob, f"{site.base}{INBOX}")
    anas = await site.text(INBOX)
    assert '<span class="person-name">ana</span>' in anas
    assert '<span class="person-name">bob</span>' in bobs
    assert '<option value="busy" selected>' not in anas
    async with site.db.connection() as conn:
        await conn.execute(
            "UPDATE agent SET busy = true WHERE workspace_id = $1 AND email = $2",
            site.workspace_id,
            "ana@example.com",
        )
    assert '<option value="busy" selected>' in await site.text(INBOX)
