"""What the HTTP tests share: logging in over a session, a form's CSRF token, reading a page
and posting a form, a conversation's thread and the running clock's deadline, and `Site`: the
site on loopback over the real services with the first person's session on it (the `site`
fixture in tests/e2e/conftest.py)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

import aiohttp

from inbox.domain.ingestion import IngestBatch
from inbox.domain.mention import Mention
from inbox.domain.people import Role
from inbox.store.database import Database
from inbox.usecases.services import Services
from tests.e2e.browsing import PASSWORD, person


async def log_in(
    session: aiohttp.ClientSession, base: str, email: str, password: str = PASSWORD
) -> aiohttp.ClientResponse:
    return await session.post(
        f"{base}/login", data={"email": email, "password": password}, allow_redirects=False
    )


async def signed_in(
    session: aiohttp.ClientSession, base: str, email: str, password: str = PASSWORD
) -> None:
    """Log in (the session keeps the cookie) and check it worked."""
    async with await log_in(session, base, email, password) as answer:
        assert answer.status == 303, await answer.text()


@asynccontextmanager
async def session_of(
    base: str, email: str, password: str = PASSWORD
) -> AsyncIterator[aiohttp.ClientSession]:
    """A browser of its own (its own cookies) logged in as `email` through the form."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
        await signed_in(browser, base, email, password)
        yield browser


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


async def page_text(session: aiohttp.ClientSession, url: str) -> str:
    """The page at `url`, answered 200, as text."""
    async with session.get(url) as answer:
        assert answer.status == 200, await answer.text()
        return await answer.text()


async def post_form(
    session: aiohttp.ClientSession, url: str, page: str, **fields: str
) -> aiohttp.ClientResponse:
    """The form posted with the CSRF token of `page`, the redirect not followed."""
    return await session.post(url, data={"csrf": csrf_of(page), **fields}, allow_redirects=False)


async def thread_of(db: Database, workspace_id: int, key: str) -> int:
    """The id of the thread of that conversation."""
    async with db.connection() as conn:
        return int(
            await conn.fetchval(
                "SELECT id FROM thread WHERE workspace_id = $1 AND thread_key = $2",
                workspace_id,
                key,
            )
        )


async def running_deadline(db: Database, workspace_id: int) -> datetime:
    """The deadline of the workspace's one running SLA clock."""
    async with db.connection() as conn:
        value = await conn.fetchval(
            "SELECT deadline FROM sla_clock WHERE workspace_id = $1 AND stopped_at IS NULL",
            workspace_id,
        )
    assert isinstance(value, datetime)
    return value


@dataclass
class Site:
    """The site on loopback over the real services, and the first person's HTTP session."""

    session: aiohttp.ClientSession
    base: str
    services: Services
    db: Database
    workspace_id: int

    async def hire(self, email: str, role: Role = Role.AGENT) -> None:
        """A person of the workspace with that role, who may log in with PASSWORD."""
        await person(self.services, self.db, self.workspace_id, email, role)

    async def bearer(self, name: str, role: Role) -> dict[str, str]:
        """The Authorization header of a new API token of that role (no person behind it)."""
        token = await self.services.tokens.issue(self.workspace_id, name, role)
        return {"Authorization": f"Bearer {token}"}

    async def api_token(self, email: str, role: Role = Role.AGENT) -> str:
        """`email` hired with that role, and an API token of theirs."""
        await self.hire(email, role)
        return await self.services.tokens.issue(self.workspace_id, email.split("@")[0], role, email)

    async def sign_in(self, email: str, session: aiohttp.ClientSession | None = None) -> None:
        """`email` logged in on `session` (the first person's by default)."""
        await signed_in(session or self.session, self.base, email)

    async def ingest(self, *messages: Mention) -> None:
        await self.services.ingest(self.workspace_id, IngestBatch(list(messages)))

    async def text(self, path: str, session: aiohttp.ClientSession | None = None) -> str:
        """The page at `path`, answered 200, as text."""
        return await page_text(session or self.session, f"{self.base}{path}")
