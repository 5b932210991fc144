"""Hostile signed deliveries over real HTTP, arriving together through the group commit: each
is judged alone, none fails another, and none answers 500."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from pydantic import SecretStr

from connectors.common.egress import CheckedDestinations
from connectors.webhooks.inbound_generic import GenericFormat, signed_headers
from inbox.bootstrap import build_services
from inbox.domain.inbound_webhooks import SourceKind
from inbox.store.database import Database
from inbox.store.inbound_webhooks import PgInboundSourceStore
from inbox.store.secret_box import SecretBox
from inbox.usecases.group_commit import GroupCommit
from inbox.usecases.inbound_webhooks import ManageWebhookSources, ReceiveWebhooks
from tests.factories import allowing
from web.app import create_app

pytestmark = pytest.mark.integration


@dataclass
class Sender:
    db: Database
    workspace_id: int
    url: str
    session: aiohttp.ClientSession
    secret: SecretStr

    async def deliver(self, body: bytes) -> tuple[int, Any]:
        headers = signed_headers(self.secret, body, datetime.now(UTC))
        async with self.session.post(self.url, data=body, headers=headers) as answer:
            return answer.status, await answer.json()

    async def rows(self, query: str) -> list[dict[str, Any]]:
        async with self.db.connection() as conn:
            return [dict(r) for r in await conn.fetch(query, self.workspace_id)]


@pytest.fixture
async def sender(db: Database, workspace_id: int) -> AsyncIterator[Sender]:
    store = PgInboundSourceStore(db, SecretBox(SecretStr(SecretBox.new_key())))
    _, secret = await ManageWebhookSources(store, CheckedDestinations(allowing())).add_generic(
        workspace_id, "shop"
    )
    services = build_services(db)
    receiver = ReceiveWebhooks(
        store,
        {SourceKind.GENERIC: GenericFormat()},
        GroupCommit(services.ingest),  # as `inbox serve` wires it
        clock=lambda: datetime.now(UTC),
    )
    server = TestServer(create_app(services, workspace_id, inbound=receiver), host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as session:
            url = f"{str(server.make_url('')).rstrip('/')}/api/v1/inbound/acme/shop"
            yield Sender(db, workspace_id, url, session, secret)
    finally:
        await server.close()


def message(message_id: str, created_at: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "id": message_id,
        "author": {"id": f"c-{message_id}", "handle": f"customer{message_id}"},
        "text": "No network at all since this morning, panne totale",
        "created_at": created_at or datetime.now(UTC).isoformat(),
        **extra,
    }


def body(value: Any) -> bytes:
    return json.dumps(value).encode()  # NaN and Infinity as Python writes them


async def test_forged_dates_and_poisoned_numbers_beside_good_deliveries_all_answer_200(
    sender: Sender,
) -> None:
    next_year = (datetime.now(UTC) + timedelta(days=365)).isoformat()
    deep: dict[str, Any] = {}
    for _ in range(100):
        deep = {"d": deep}
    deliveries = {
        "good-1": body(message("good-1")),
        "next-year": body(message("next-year", next_year)),
        "year-9999": body(message("year-9999", "9999-12-31T23:59:59Z")),
        "year-1": body(message("year-1", "0001-01-01T00:00:00Z")),
        "nan": body(message("nan", score=float("nan"), reach=float("inf"))),
        "big": body(message("big", followers=2**70)),
        "deep": body(message("deep", extra=deep)),
        "digits": b'{"id": "digits", "n": ' + b"7" * 5000 + b"}",
        "good-2": body(message("good-2")),
    }
    before = datetime.now(UTC)
    answers = await asyncio.gather(*(sender.deliver(b) for b in deliveries.values()))
    after = datetime.now(UTC)

    receipts = dict(zip(deliveries, answers, strict=True))
    assert {name: status for name, (status, _) in receipts.items()} == dict.fromkeys(
        deliveries, 200
    )
    stored_now = {"good-1", "next-year", "year-9999", "year-1", "nan", "big", "good-2"}
    for name in stored_now:
        assert receipts[name][1]["added"] == 1, (name, receipts[name])
    for name in ("deep", "digits"):
        assert receipts[name][1]["quarantined"] == 1, (name, receipts[name])

    mentions = {
        r["external_id"]: r
        for r in await sender.rows(
            "SELECT external_id, created_at, claimed_at, raw::text AS raw FROM mention "
            "WHERE workspace_id = $1"
        )
    }
    assert set(mentions) == {f"shop:{name}" for name in stored_now}
    for forged in ("next-year", "year-9999", "year-1"):
        row = mentions[f"shop:{forged}"]
        assert before <= row["created_at"] <= after
        assert row["claimed_at"] is not None
    assert '"score": "NaN"' in mentions["shop:nan"]["raw"]
    assert f'"followers": "{2**70}"' in mentions["shop:big"]["raw"]
    errors = sorted(
        r["error"]
        for r in await sender.rows("SELECT error FROM quarantine WHERE workspace_id = $1")
    )
    assert errors[0].startswith("body: a number of 5,000 digits at column 23")
    assert errors[1].startswith("webhook shop:deep: raw.message.extra.d.d.")
