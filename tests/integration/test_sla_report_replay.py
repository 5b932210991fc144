"""Replaying real support conversations: the SLA report equals an independent count.

../shared/data/customer-care/dev.json holds 525 conversations between customers and 24
brands' support accounts on Twitter, with real timestamps (the last agent reply carries only
its tweet id, whose snowflake encodes the time). Each brand is a workspace under the default
policy (one hour, around the clock); the report's "answered within 60 minutes" must equal a
count made here from the file alone.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from inbox.bootstrap import build_services
from inbox.domain.ingestion import IngestBatch
from inbox.domain.mention import Author, Direction, Mention
from inbox.domain.network import Network
from inbox.store.database import Database
from inbox.store.workspaces import PgWorkspaceStore
from tests.shared_data import require_shared_data

pytestmark = pytest.mark.integration

TWITTER_EPOCH_MS = 1288834974657


def snowflake_time(tweet_id: str) -> datetime:
    return datetime.fromtimestamp(((int(tweet_id) >> 22) + TWITTER_EPOCH_MS) / 1000, UTC)


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _author(message: dict[str, str]) -> str:
    # "client1" is a second customer joining the conversation: inbound like the first.
    return message.get("agent") or message.get("client") or message["client1"]


def conversation_messages(conversation: dict[str, Any]) -> list[tuple[str, datetime, bool, str]]:
    """(tweet id, time, from the brand, author) for every message, the last reply included."""
    messages = [
        (m["tweet_ID"], parse_time(m["datetime"]), "agent" in m, _author(m))
        for m in conversation["dialogContent"]
    ]
    final = conversation["agentURL"]
    brand = conversation["dialogHeader"]["company"]
    messages.append((final["tweet_ID"], snowflake_time(final["tweet_ID"]), True, brand))
    return messages


def independent_counts(conversations: list[dict[str, Any]]) -> tuple[int, int]:
    """(waits, waits answered within 60 minutes), walking each conversation in time order."""
    seen: set[str] = set()
    waits = answered_in_hour = 0
    for conversation in conversations:
        kept = []
        for message in conversation_messages(conversation):
            if message[0] not in seen:
                seen.add(message[0])
                kept.append(message)
        waiting_since: datetime | None = None
        for _, at, from_brand, _ in sorted(kept, key=lambda m: (m[1], m[2])):
            if not from_brand and waiting_since is None:
                waiting_since = at
            elif from_brand and waiting_since is not None:
                waits += 1
                answered_in_hour += at - waiting_since <= timedelta(minutes=60)
                waiting_since = None
        waits += waiting_since is not None
    return waits, answered_in_hour


async def test_per_brand_answered_within_an_hour_matches_the_file(db: Database) -> None:
    path = require_shared_data("customer-care", "dev.json")
    by_brand: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for conversation in json.loads(path.read_text(encoding="utf-8")):
        by_brand[conversation["dialogHeader"]["company"]].append(conversation)
    services = build_services(db)
    workspaces = PgWorkspaceStore(db)
    compared = 0
    for brand, conversations in sorted(by_brand.items()):
        slug = "cc-" + brand.lower().replace("_", "-")
        workspace_id = await workspaces.ensure_workspace(slug, brand)
        await workspaces.add_account(workspace_id, Network.X, brand, brand)
        mentions = [
            Mention(
                network=Network.X,
                external_id=tweet_id,
                author=Author(external_id=author, handle=author),
                text="(replayed)",
                created_at=at,
                direction=Direction.OUTBOUND if from_brand else Direction.INBOUND,
                conversation_key=conversation["dialogHeader"]["sessionID"],
            )
            for conversation in conversations
            for tweet_id, at, from_brand, author in conversation_messages(conversation)
        ]
        await services.ingest(workspace_id, IngestBatch(mentions))
        times = [m.created_at for m in mentions]
        (total,) = await services.sla_report(
            workspace_id,
            by="total",
            since=min(times),
            until=max(times) + timedelta(seconds=1),
        ) or [None]
        waits, within_hour = independent_counts(conversations)
        assert total is not None, brand
        assert (total.clocks, total.within_hour) == (waits, within_hour), brand
        compared += 1
    assert compared == 24
