"""An aiohttp server on loopback over the real services, for the API tests; Debian's
Chromium for the browser tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from inbox.bootstrap import build_services
from inbox.store.database import Database
from inbox.usecases.services import Services
from tests.e2e.browsing import CHROMIUM, FLAGS
from tests.e2e.site import Site
from web.app import create_app


@pytest.fixture
def services(db: Database) -> Services:
    return build_services(db)


@pytest.fixture
async def client(
    services: Services, workspace_id: int
) -> AsyncIterator[tuple[aiohttp.ClientSession, str]]:
    server = TestServer(create_app(services, workspace_id), host="127.0.0.1", port=0)
    await server.start_server()
    # unsafe: keep cookies of an IP-address host (the loopback server) as a browser does.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session, str(server.make_url(""))
    await server.close()


@pytest.fixture
def site(
    client: tuple[aiohttp.ClientSession, str], services: Services, db: Database, workspace_id: int
) -> Site:
    """The site over HTTP with its services: people to hire, messages to ingest, pages to read."""
    session, base = client
    return Site(session, base, services, db, workspace_id)


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    """A headless Chromium; skipped, saying why, where it or Playwright is missing."""
    playwright_api = pytest.importorskip("playwright.async_api", reason="no playwright")
    if CHROMIUM is None:
        pytest.skip("no Chromium here: install Debian's chromium package")
    async with playwright_api.async_playwright() as driver:
        launched = await driver.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield launched
        finally:
            await launched.close()
