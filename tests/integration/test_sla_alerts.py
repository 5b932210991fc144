"""SLA events reach people and webhooks: the right recipients, signed posts, once each."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from pydantic import SecretStr

from connectors.common.egress import CheckedDestinations
from connectors.webhooks.outbound import AiohttpWebhookPoster, webhook_session
from inbox.bootstrap import build_services
from inbox.domain.egress import EgressPolicy
from inbox.domain.ingestion import IngestBatch
from inbox.domain.people import Role
from inbox.store.database import Database
from inbox.store.people import PgPeopleStore
from inbox.store.secret_box import SecretBox
from inbox.store.sla_alerts import PgSlaDispatchStore
from inbox.store.sla_settings import PgSlaQuery
from inbox.store.sla_timer import PgShiftReports, PgSlaTimerStore
from inbox.store.webhooks import PgWebhookStore
from inbox.usecases.sla import KeepClocks
from inbox.usecases.sla_alerts import DispatchSlaEvents
from inbox.usecases.sla_timer import SlaTimer
from inbox.usecases.webhooks import DeliverWebhooks, DeliveryPolicy, ManageWebhooks
from tests.factories import mention
from tests.hooks import HookReceiver

pytestmark = pytest.mark.integration

OFFICE = {
    "tz": "Europe/Paris",
    "weekly": {d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
    "on_call": ["night@example.com"],
}
POLICIES = {"policies": {"office": {"name": "office", "calendar": "office"}}, "default": "office"}
TUESDAY_10_PARIS = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
FRIDAY_16_PARIS = datetime(2026, 3, 6, 15, 0, tzinfo=UTC)
BOX = SecretBox(SecretStr(SecretBox.new_key()))


@pytest.fixture
async def people(db: Database, workspace_id: int) -> dict[str, int]:
    store = PgPeopleStore(db)
    return {
        "ana": await store.save_agent(
            workspace_id, "ana@example.com", "Ana", [Role.AGENT], ["care"]
        ),
        "lea": await store.save_agent(
            workspace_id, "lea@example.com", "Léa", [Role.LEAD], ["care"]
        ),
        "night": await store.save_agent(
            workspace_id, "Night@example.com", "Night desk", [Role.AGENT], []
        ),
    }


async def setup(db: Database, workspace_id: int, assignee: int | None) -> None:
    await build_services(db).sla_settings(workspace_id, {"office": OFFICE}, POLICIES)
    for external_id, at in (("tue", TUESDAY_10_PARIS), ("fri", FRIDAY_16_PARIS)):
        message = mention(external_id, conversation=external_id).model_copy(
            update={"created_at": at}
        )
        await build_services(db).ingest(workspace_id, IngestBatch([message]))
    async with db.connection() as conn:
        await conn.execute(
            "UPDATE thread SET assignee_id = $2 WHERE workspace_id = $1", workspace_id, assignee
        )


def timer_at(db: Database, at: datetime) -> SlaTimer:
    rules = KeepClocks()
    return SlaTimer(
        PgSlaTimerStore(db),
        clock=lambda: at,
        dispatch=DispatchSlaEvents(PgSlaDispatchStore(db), PgSlaQuery(db), rules),
    )


async def alerts(db: Database, workspace_id: int) -> list[tuple[str, int, str, bool]]:
    async with db.connection() as conn:
        rows = await conn.fetch(
            """SELECT e.kind, a.agent_id, a.reason, a.out_of_hours
               FROM sla_alert a JOIN sla_event e
                 ON e.workspace_id = a.workspace_id AND e.id = a.event_id
               WHERE a.workspace_id = $1 ORDER BY e.id, a.agent_id""",
            workspace_id,
        )
    return [tuple(r) for r in rows]


def managed(db: Database, receiver: HookReceiver) -> ManageWebhooks:
    policy = EgressPolicy.from_setting(receiver.allowed)
    return ManageWebhooks(PgWebhookStore(db, BOX), CheckedDestinations(policy))


def session_to(receiver: HookReceiver) -> aiohttp.ClientSession:
    return webhook_session(EgressPolicy.from_setting(receiver.allowed))


def deliverer(
    db: Database, session: aiohttp.ClientSession, at: Callable[[], datetime]
) -> DeliverWebhooks:
    return DeliverWebhooks(
        PgWebhookStore(db, BOX),
        AiohttpWebhookPoster(session),
        clock=at,
        policy=DeliveryPolicy(max_attempts=3),
    )


async def test_in_hours_a_breach_alerts_the_assignee_and_escalates_to_the_lead(
    db: Database, workspace_id: int, people: dict[str, int]
) -> None:
    await setup(db, workspace_id, people["ana"])
    fired = await timer_at(db, TUESDAY_10_PARIS + timedelta(minutes=61)).fire()
    assert [e.kind for e in fired] == ["breach"]
    assert await alerts(db, workspace_id) == [
        ("breach", people["ana"], "assignee", False),
        ("breach", people["lea"], "lead", False),
    ]


async def test_out_of_hours_only_the_calendars_on_call_person_is_alerted(
    db: Database, workspace_id: int, people: dict[str, int]
) -> None:
    await setup(db, workspace_id, people["ana"])
    friday_night = FRIDAY_16_PARIS + timedelta(hours=5)  # 21:00 in Paris, closed
    fired = await timer_at(db, friday_night).fire()
    assert sorted(e.kind for e in fired) == ["breach", "breach"]  # Tuesday's and Friday's
    friday_alerts = list(await alerts(db, workspace_id))
    assert ("breach", people["night"], "on_call", True) in friday_alerts
    assert all(agent == people["night"] for _, agent, _, _ in friday_alerts)


async def test_events_left_undispatched_by_a_crash_are_dispatched_once_later(
    db: Database, workspace_id: int, people: dict[str, int]
) -> None:
    await setup(db, workspace_id, people["ana"])
    at = TUESDAY_10_PARIS + timedelta(minutes=61)
    await PgSlaTimerStore(db).fire_due(at)  # fired, then the process died before dispatching
    assert await alerts(db, workspace_id) == []
    dispatch = DispatchSlaEvents(PgSlaDispatchStore(db), PgSlaQuery(db), KeepClocks())
    assert await dispatch() == 1
    assert await dispatch() == 0
    assert len(await alerts(db, workspace_id)) == 2


async def test_each_event_is_posted_once_signed_and_retried_through_a_server_error(
    db: Database, workspace_id: int, people: dict[str, int], receiver: HookReceiver
) -> None:
    hook, secret = await managed(db, receiver).add(workspace_id, receiver.url, ["sla.breach"])
    await setup(db, workspace_id, people["ana"])
    at = TUESDAY_10_PARIS + timedelta(minutes=61)
    await timer_at(db, at - timedelta(minutes=20)).fire()  # the warning: not subscribed
    await timer_at(db, at).fire()
    receiver.statuses = [503]
    now = [at]
    async with session_to(receiver) as session:
        send = deliverer(db, session, lambda: now[0])
        assert await send.run_once() == 1  # 503: retried later
        assert await send.run_once() == 0  # not due yet
        now[0] = at + timedelta(seconds=11)
        assert await send.run_once() == 1
        assert await send.run_once() == 0
    assert len(receiver.received) == 2
    (first_headers, first_body), (headers, body) = receiver.received
    assert body == first_body
    assert headers["X-Inbox-Delivery"] == first_headers["X-Inbox-Delivery"]
    signed = headers["X-Inbox-Timestamp"].encode() + b"." + body
    expected = hmac.new(secret.get_secret_value().encode(), signed, hashlib.sha256).hexdigest()
    assert headers["X-Inbox-Signature"] == f"sha256={expected}"
    event = json.loads(body)
    assert event["kind"] == "sla.breach"
    assert event["data"]["out_of_hours"] is False
    assert event["data"]["alerted"] == [
        {"agent_id": people["ana"], "reason": "assignee"},
        {"agent_id": people["lea"], "reason": "lead"},
    ]
    (listed,) = await managed(db, receiver).all(workspace_id)
    assert (listed.id, listed.pending, listed.failed) == (hook.id, 0, 0)
    assert listed.shown_url.endswith("/…")


async def test_a_refusal_is_final_and_an_unreachable_receiver_gives_up_after_its_attempts(
    db: Database, workspace_id: int, people: dict[str, int], receiver: HookReceiver
) -> None:
    webhooks = managed(db, receiver)
    await webhooks.add(workspace_id, receiver.url, [])
    await webhooks.add(workspace_id, "http://127.0.0.1:9/unreachable", [])
    await setup(db, workspace_id, people["ana"])
    at = TUESDAY_10_PARIS + timedelta(minutes=61)
    await timer_at(db, at).fire()
    receiver.statuses = [400]
    now = [at]
    async with session_to(receiver) as session:
        send = deliverer(db, session, lambda: now[0])
        for _ in range(5):
            await send.run_once()
            now[0] += timedelta(hours=1)
    assert len(receiver.received) == 1
    async with db.connection() as conn:
        rows = await conn.fetch(
            "SELECT webhook_id, status, attempts, last_error FROM webhook_delivery"
            " ORDER BY webhook_id"
        )
    refused, unreachable = (dict(r) for r in rows)
    assert (refused["status"], refused["attempts"]) == ("failed", 1)
    assert refused["last_error"] == "the receiver answered HTTP 400"
    assert (unreachable["status"], unreachable["attempts"]) == ("failed", 3)
    assert unreachable["last_error"].startswith("cannot connect to the receiver")
    assert "127.0.0.1" not in unreachable["last_error"]


async def test_an_end_of_shift_list_is_posted_to_subscribed_webhooks(
    db: Database, workspace_id: int, receiver: HookReceiver
) -> None:
    await managed(db, receiver).add(workspace_id, receiver.url, ["sla.end_of_shift"])
    await setup(db, workspace_id, None)
    closes = datetime(2026, 3, 6, 17, 0, tzinfo=UTC)  # Friday 18:00 in Paris
    assert await PgShiftReports(db).record(workspace_id, "office", closes) == 2  # both threads
    dispatch = DispatchSlaEvents(PgSlaDispatchStore(db), PgSlaQuery(db), KeepClocks())
    assert await dispatch() == 1
    async with session_to(receiver) as session:
        assert await deliverer(db, session, lambda: closes).run_once() == 1
    ((headers, body),) = receiver.received
    event = json.loads(body)
    assert headers["X-Inbox-Event"] == "sla.end_of_shift"
    assert event["data"]["calendar"] == "office"
    assert [c["thread_id"] for c in event["data"]["running"]]
