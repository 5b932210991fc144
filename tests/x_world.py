"""A small X world on the fake X API, and the inbox's side of the same brand account."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
from pydantic import SecretStr

from connectors.x.api import XApi, XCredentials
from connectors.x.budget import PollingPlan, ReadBudget
from connectors.x.fake import FakeX, FakeXServer, fake_x_session
from connectors.x.poller import XAccount, XPoller
from connectors.x.runner import XAccountRunner
from inbox.domain.clock import utc_now
from inbox.domain.network import Network
from inbox.store.connector_state import (
    PgApiUsageLedger,
    PgChannelHealthStore,
    PgConnectorState,
)
from inbox.store.database import Database
from inbox.store.ingest import PgIngestStore
from inbox.store.workspaces import PgWorkspaceStore
from inbox.usecases.ingest import IngestMentions
from inbox.usecases.sla import KeepClocks
from tests.waiting import Sleeps

BRAND_ID = "1000"
BRAND = "acme"
CUSTOMERS = ("2001", "2002", "2003")
BEARER = "test-bearer"
CONSUMER_KEY = "test-consumer-key"
CONSUMER_SECRET = "test-consumer-secret"
ACCESS_TOKEN = f"{BRAND_ID}-test-access-token"
ACCESS_SECRET = "test-access-secret"

CREDENTIALS = XCredentials(
    bearer_token=SecretStr(BEARER),
    consumer_key=SecretStr(CONSUMER_KEY),
    consumer_secret=SecretStr(CONSUMER_SECRET),
    access_token=SecretStr(ACCESS_TOKEN),
    access_token_secret=SecretStr(ACCESS_SECRET),
)


def build_world() -> FakeX:
    fake = FakeX(keepalive_seconds=0.2)
    fake.add_user(BRAND_ID, BRAND, "Acme Telecom")
    for number, user_id in enumerate(CUSTOMERS):
        fake.add_user(user_id, f"customer{number}", f"Customer {number}")
    return fake


@dataclass
class Connected:
    fake: FakeX
    server: FakeXServer
    api: XApi
    account: XAccount
    poller: XPoller
    sleeps: Sleeps


@asynccontextmanager
async def served_account(
    db: Database, workspace_id: int, fake: FakeX, search_terms: tuple[str, ...] = ()
) -> AsyncIterator[tuple[FakeXServer, aiohttp.ClientSession, XAccount]]:
    """The fake X API served on loopback with the brand's account configured: the server,
    a session to it, and the account."""
    async with FakeXServer(
        fake, bearer_token=BEARER, consumer_key=CONSUMER_KEY, access_token=ACCESS_TOKEN
    ) as server:
        session = fake_x_session(server)
        try:
            account_id = await PgWorkspaceStore(db).configure_account(
                workspace_id, Network.X, BRAND_ID, BRAND, {"search_terms": list(search_terms)}
            )
            yield server, session, XAccount(workspace_id, account_id, BRAND_ID, BRAND, search_terms)
        finally:
            await session.close()


@asynccontextmanager
async def connected(
    db: Database, workspace_id: int, *, search_terms: tuple[str, ...] = ()
) -> AsyncIterator[Connected]:
    fake = build_world()
    async with served_account(db, workspace_id, fake, search_terms) as (server, session, account):
        sleeps = Sleeps()
        api = XApi(CREDENTIALS, session, clock=utc_now, sleep=sleeps)
        ingest = IngestMentions(PgIngestStore(db), hooks=[KeepClocks()])
        poller = XPoller(account, api, ingest, PgConnectorState(db))
        yield Connected(fake, server, api, account, poller, sleeps)


def runner_for(x: Connected, db: Database, budget: ReadBudget | None = None) -> XAccountRunner:
    return XAccountRunner(
        x.poller,
        x.api,
        PgApiUsageLedger(db),
        PgChannelHealthStore(db),
        budget=budget or ReadBudget(),
        plan=PollingPlan(),
        clock=utc_now,
    )
