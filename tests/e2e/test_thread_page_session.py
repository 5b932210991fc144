"""A thread's page reads its session in the same statement as the thread: a session ended,
a person deactivated or demoted anywhere is refused by the very next page, whichever server
of the deployment answers it; a thread of another workspace is not found, and a person who
is not staff is refused."""

from __future__ import annotations

import aiohttp
import pytest

from inbox.domain.ingestion import IngestBatch
from inbox.domain.people import Role
from inbox.store.workspaces import PgWorkspaceStore
from tests.e2e.site import Site, csrf_of, page_text, thread_of
from tests.e2e.test_inbox_page_session import another_server, status_of
from tests.factories import mention

pytestmark = pytest.mark.integration


async def _thread_page(site: Site) -> str:
    """Ana, an agent, signed in beside a customer's thread: its page's path."""
    await site.hire("ana@example.com")
    await site.ingest(mention("1", conversation="c1", text="no signal since this morning"))
    await site.sign_in("ana@example.com")
    return f"/threads/{await thread_of(site.db, site.workspace_id, 'c1')}"


async def _change_ana(site: Site, statement: str, *values: object) -> None:
    """`statement` run on Ana's row ($1 the workspace, $2 her e-mail)."""
    async with site.db.connection() as conn:
        await conn.execute(statement, site.workspace_id, "ana@example.com", *values)


async def test_the_thread_page_shows_the_thread_to_a_signed_in_agent(site: Site) -> None:
    path = await _thread_page(site)
    for shown in (path, f"{path}?fragment=1&view=all"):
        assert "no signal since this morning" in await site.text(shown)


async def test_the_thread_page_refuses_a_session_signed_out_on_another_server_at_once(
    site: Site,
) -> None:
    path = await _thread_page(site)
    page = await site.text(path)
    async with (
        another_server(site.db, site.workspace_id) as other,
        site.session.post(
            f"{other}/logout", data={"csrf": csrf_of(page)}, allow_redirects=False
        ) as answer,
    ):
        assert answer.status == 303
    assert await status_of(site.session, f"{site.base}{path}") == (303, "/login")


async def test_the_thread_page_refuses_a_person_demoted_to_the_community_at_once(
    site: Site,
) -> None:
    path = await _thread_page(site)
    await page_text(site.session, f"{site.base}{path}")
    await _change_ana(
        site,
        "UPDATE agent SET roles = $3 WHERE workspace_id = $1 AND email = $2",
        [Role.COMMUNITY.value],
    )
    async with site.session.get(f"{site.base}{path}") as answer:
        assert answer.status == 403
        # The refusal still knows who asked: it offers to log in as someone else.
        assert "Log in as someone else" in await answer.text()


async def test_the_thread_page_refuses_a_deactivated_person_at_once(site: Site) -> None:
    path = await _thread_page(site)
    await page_text(site.session, f"{site.base}{path}")
    await _change_ana(
        site, "UPDATE agent SET active = false WHERE workspace_id = $1 AND email = $2"
    )
    assert await status_of(site.session, f"{site.base}{path}") == (303, "/login")


async def test_the_thread_page_refuses_an_expired_session_and_a_forged_cookie(
    site: Site,
) -> None:
    path = await _thread_page(site)
    async with site.db.connection() as conn:
        await conn.execute(
            "UPDATE web_session SET expires_at = now() - interval '1 second'"
            " WHERE workspace_id = $1",
            site.workspace_id,
        )
    assert await status_of(site.session, f"{site.base}{path}") == (303, "/login")
    async with aiohttp.ClientSession(
        cookie_jar=aiohttp.CookieJar(unsafe=True),
        cookies={"inbox_session": f"{site.workspace_id}.not-a-session"},
    ) as forger:
        assert await status_of(forger, f"{site.base}{path}") == (303, "/login")
        assert await status_of(forger, f"{site.base}/threads/not-a-thread") == (303, "/login")


async def test_a_thread_of_another_workspace_or_no_thread_is_not_found(site: Site) -> None:
    await _thread_page(site)
    other = await PgWorkspaceStore(site.db).ensure_workspace("elsewhere", "Elsewhere")
    await site.services.ingest(other, IngestBatch([mention("9", conversation="c9", text="secret")]))
    elsewhere = await thread_of(site.db, other, "c9")
    for path in (f"/threads/{elsewhere}", "/threads/999999", "/threads/not-a-thread"):
        async with site.session.get(f"{site.base}{path}") as answer:
            assert answer.status == 404, path
            page = await answer.text()
            assert "secret" not in page
            # The page still knows who asked: the reader's name in its header.
            assert '<span class="person-name">ana</span>' in page, path
