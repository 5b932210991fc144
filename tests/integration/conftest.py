"""Fixtures shared by the integration tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from inbox.bootstrap import build_services
from inbox.store.database import Database
from inbox.usecases.services import Services
from tests.hooks import HookReceiver


@pytest.fixture
def services(db: Database) -> Services:
    """The real services over the test's database."""
    return build_services(db)


@pytest.fixture
async def receiver() -> AsyncIterator[HookReceiver]:
    """A webhook receiver listening on a free loopback port."""
    state = HookReceiver()
    runner = web.AppRunner(state.app(), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    state.port = runner.addresses[0][1]
    yield state
    await runner.cleanup()
