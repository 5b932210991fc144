"""Customer events leave through webhooks signed, once each, and in order customer by
customer: edits, imports, merges (by a person or by themselves), splits and undone merges."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from pydantic import SecretStr

from connectors.common.egress import CheckedDestinations
from connectors.webhooks.outbound import AiohttpWebhookPoster, webhook_session
from inbox.domain.audit import COMMAND_LINE, Actor, ActorKind
from inbox.domain.clock import utc_now
from inbox.domain.egress import EgressPolicy
from inbox.domain.errors import ConflictError
from inbox.domain.ingestion import IngestBatch
from inbox.domain.mention import Author, Mention
from inbox.domain.network import Network
from inbox.domain.webhooks import signature
from inbox.store.customer_events import PgCustomerEventOutbox
from inbox.store.database import Database
from inbox.store.secret_box import SecretBox
from inbox.store.webhooks import PgWebhookStore
from inbox.usecases.customers import RecordEdit
from inbox.usecases.services import Services
from inbox.usecases.webhooks import DeliverWebhooks, DeliveryPolicy, ManageWebhooks
from tests.factories import T0
from tests.hooks import HookReceiver

pytestmark = pytest.mark.integration

BOX = SecretBox(SecretStr(SecretBox.new_key()))


def agent(agent_id: int) -> Actor:
    return Actor(ActorKind.PERSON, agent_id, f"agent {agent_id}")


def said(external_id: str, network: Network, author: str, minute: int) -> Mention:
    return Mention(
        network=network,
        external_id=external_id,
        author=Author(external_id=author, handle=author, display_name=author.title()),
        text="hello",
        created_at=T0 + timedelta(minutes=minute),
        conversation_key=f"c-{external_id}",
        raw={"id": external_id},
    )


async def two_customers(db: Database, services: Services, workspace_id: int) -> tuple[int, int]:
    """The same person on X and on Mastodon, as two customers (X's the older)."""
    await services.ingest(workspace_id, IngestBatch([said("x1", Network.X, "ana", 1)]))
    await services.ingest(workspace_id, IngestBatch([said("m1", Network.MASTODON, "ana_m", 2)]))
    rows = await db.fetch(
        "SELECT network, customer_id FROM identity WHERE workspace_id = $1", workspace_id
    )
    by_network = {row["network"]: row["customer_id"] for row in rows}
    return by_network["x"], by_network["mastodon"]


async def subscribe(db: Database, receiver: HookReceiver, workspace_id: int) -> SecretStr:
    manage = ManageWebhooks(
        PgWebhookStore(db, BOX), CheckedDestinations(EgressPolicy.from_setting(receiver.allowed))
    )
    _, secret = await manage.add(workspace_id, receiver.url, ["customer.*"])
    return secret


async def deliver_all(db: Database, receiver: HookReceiver) -> None:
    """Posts everything due, then again past the first retry's delay."""
    now = [utc_now() + timedelta(days=1)]
    async with webhook_session(EgressPolicy.from_setting(receiver.allowed)) as session:
        send = DeliverWebhooks(
            PgWebhookStore(db, BOX),
            AiohttpWebhookPoster(session),
            clock=lambda: now[0],
            policy=DeliveryPolicy(max_attempts=3),
            outboxes=[PgCustomerEventOutbox(db)],
        )
        while await send.run_once():
            pass
        now[0] += timedelta(seconds=11)
        while await send.run_once():
            pass


def accepted(receiver: HookReceiver, failed: int) -> list[dict[str, Any]]:
    """The events the receiver accepted, in arrival order (its first `failed` posts were
    answered 500)."""
    return [json.loads(body) for _, body in receiver.received[failed:]]


def of_customer(events: list[dict[str, Any]], customer_id: int) -> list[tuple[str, int]]:
    return [
        (e["kind"], e["data"]["sequence"])
        for e in events
        if e["data"]["customer_id"] == customer_id
    ]


async def test_customer_events_arrive_once_each_and_in_order_after_a_receiver_error(
    db: Database, services: Services, workspace_id: int, receiver: HookReceiver
) -> None:
    secret = await subscribe(db, receiver, workspace_id)
    x, mastodon = await two_customers(db, services, workspace_id)
    customers = services.customers
    await customers.edit(workspace_id, x, RecordEdit(tags=("gold",), crm_id="C-7"), agent(1))
    await customers.edit(workspace_id, x, RecordEdit(tags=("gold",)), agent(1))  # no event
    # The same CRM id on the other side: the workspace accepts it as certain, they merge.
    await customers.edit(workspace_id, mastodon, RecordEdit(crm_id="C-7"), agent(1))
    (merge,) = [c for c in await customers.changes(workspace_id, x) if c.kind == "merge"]
    await customers.undo_merge(workspace_id, merge.id, agent(2))
    await customers.merge(
        workspace_id, x, mastodon, choices={}, by=agent(2), reason="the same person"
    )
    (identity,) = [
        i.id for i in (await customers.show(workspace_id, x)).identities if i.network == "mastodon"
    ]
    await customers.split(workspace_id, x, identity, by=agent(3), reason="two people after all")
    with pytest.raises(ConflictError):  # refused: its change and its event are not written
        await customers.edit(workspace_id, mastodon, RecordEdit(vip=True), agent(1))
    receiver.statuses.append(500)  # the first post is refused once

    await deliver_all(db, receiver)

    events = accepted(receiver, failed=1)
    assert of_customer(events, x) == [
        ("customer.updated", 1),
        ("customer.merged", 2),
        ("customer.split", 3),
        ("customer.merged", 4),
        ("customer.split", 5),
    ]
    assert of_customer(events, mastodon) == [("customer.updated", 1)]
    # Exactly once each: the only repeat is the retry of the refused post.
    keys = [headers["X-Inbox-Delivery"] for headers, _ in receiver.received]
    assert len(keys) == len(set(keys)) + 1
    assert keys[0] in keys[1:]
    for headers, body in receiver.received:
        stamp = int(headers["X-Inbox-Timestamp"])
        assert headers["X-Inbox-Signature"] == signature(secret, stamp, body)
        assert b"Ana" not in body  # ids and the kept fields, never a name

    updated, auto, undone, by_hand, split = [
        e["data"] for e in events if e["data"]["customer_id"] == x
    ]
    assert updated["changed"] == ["crm_id", "tags"]
    assert updated["record"] == {
        "vip": False, "owner_agent_id": None, "crm_id": "C-7", "tags": ["gold"], "language": None,
    }  # fmt: skip
    assert (auto["merged_customer_id"], auto["change_id"]) == (mastodon, merge.id)
    assert auto["by"] == "auto"
    assert (undone["new_customer_id"], undone["undone_merge"], undone["by"]) == (
        mastodon, True, "agent:2",
    )  # fmt: skip
    assert by_hand["by"] == "agent:2"
    assert len(by_hand["thread_ids"]) == 1
    assert split["identity_ids"] == [identity]
    assert split["undone_merge"] is False
    assert split["thread_ids"] == by_hand["thread_ids"]


async def test_an_import_tells_each_customer_it_changed_and_nothing_of_the_others(
    db: Database, services: Services, workspace_id: int, receiver: HookReceiver
) -> None:
    await subscribe(db, receiver, workspace_id)
    x, mastodon = await two_customers(db, services, workspace_id)
    await services.customers.edit(workspace_id, mastodon, RecordEdit(language="de"), COMMAND_LINE)

    await services.customers.import_csv(
        workspace_id,
        "network,handle,vip,tags,language\nx,ana,yes,gold,\nmastodon,ana_m,,,de\n",
        dry_run=False,
        by=COMMAND_LINE,
    )
    await deliver_all(db, receiver)

    events = accepted(receiver, failed=0)
    assert of_customer(events, x) == [("customer.updated", 1)]
    assert of_customer(events, mastodon) == [("customer.updated", 1)]  # the edit; import: none
    (imported,) = [e["data"] for e in events if e["data"]["customer_id"] == x]
    assert imported["changed"] == ["vip", "tags"]
    assert imported["record"]["tags"] == ["gold"]


async def test_a_customer_event_is_not_queued_for_a_webhook_that_did_not_subscribe_to_it(
    db: Database, services: Services, workspace_id: int, receiver: HookReceiver
) -> None:
    manage = ManageWebhooks(
        PgWebhookStore(db, BOX), CheckedDestinations(EgressPolicy.from_setting(receiver.allowed))
    )
    await manage.add(workspace_id, receiver.url, ["thread.*", "customer.merged"])
    x, _ = await two_customers(db, services, workspace_id)
    await services.customers.edit(workspace_id, x, RecordEdit(vip=True), agent(1))

    assert await PgCustomerEventOutbox(db).dispatch(100) == 1
    assert await db.fetchval("SELECT count(*) FROM webhook_delivery") == 0
    assert await PgCustomerEventOutbox(db).dispatch(100) == 0
