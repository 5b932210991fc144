"""An agent's reply on the fakes of its ports (no database): queued once in the outbox, held
by its checks until sent anyway (never when the network would refuse it), held while a
colleague is replying, and a thread moved to a private message with one public notice."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from inbox.domain.audit import Actor, ActorKind
from inbox.domain.errors import ConfigurationError, NotFoundError
from inbox.domain.outbox import OutboxKind
from inbox.domain.replies import ThreadIncident, ThreadReplyFacts
from inbox.usecases.replies import (
    LONGEST_REPLY,
    PRIVATE_NOTICES,
    Replies,
    ReplyChecksFailed,
    ReplyCollisionError,
)
from routing.reply_checks import ReplyCheck
from tests.fakes.replies import PUBLIC_X_THREAD, ReplyFakes, replies_on

WORKSPACE, THREAD, AGENT, COLLEAGUE = 1, 5, 7, 8
BY = Actor(ActorKind.PERSON, AGENT, "Max")
PERSONAL = "Write to us at max.dupont@gmail.com"


class Hands:
    """The time the use case reads, moved by the test."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def desk(facts: ThreadReplyFacts = PUBLIC_X_THREAD) -> tuple[Replies, ReplyFakes, Hands]:
    hands = Hands()
    replies, fakes = replies_on({(WORKSPACE, THREAD): facts}, hands)
    return replies, fakes, hands


async def test_a_reply_queued_is_audited_by_who_sent_it_with_ids_and_never_its_text() -> None:
    replies, fakes, _ = desk()

    item = await replies.send(WORKSPACE, THREAD, AGENT, "On its way!", key="k", by=BY)

    (entry,) = fakes.audit.entries
    assert (entry.action, entry.object_id, entry.actor) == ("reply_sent", str(THREAD), BY)
    assert entry.summary == {"outbox_id": item.id}


async def test_an_agents_reply_is_queued_once_however_many_times_it_is_sent() -> None:
    replies, fakes, _ = desk()

    first = await replies.send(WORKSPACE, THREAD, AGENT, "On its way!", key="k1", by=BY)
    again = await replies.send(WORKSPACE, THREAD, AGENT, "On its way!", key="k1", by=BY)

    assert again.id == first.id
    assert fakes.outbox.queued() == [(OutboxKind.REPLY, "reply:7:k1", "On its way!")]
    assert fakes.outbox.items[0].thread_id == THREAD
    assert fakes.desk.replying_on(WORKSPACE, THREAD) == []  # the box is free again


async def test_a_reply_is_queued_trimmed_with_a_forms_line_breaks_counted_as_one() -> None:
    replies, _, _ = desk()

    item = await replies.send(
        WORKSPACE, THREAD, AGENT, "  Hello\r\nIt left today.  ", key="k", by=BY
    )

    assert item.body == "Hello\nIt left today."


@pytest.mark.parametrize("body", [None, "", "   ", "a" * (LONGEST_REPLY + 1), "nul \x00 byte"])
async def test_a_reply_without_text_or_beyond_what_the_inbox_stores_is_refused(
    body: object,
) -> None:
    replies, fakes, _ = desk()

    for override in (False, True):
        with pytest.raises(ConfigurationError) as refused:
            await replies.send(WORKSPACE, THREAD, AGENT, body, key="k", override=override, by=BY)
        assert refused.value.setting == "body"

    assert fakes.outbox.items == []
    assert fakes.desk.replying_on(WORKSPACE, THREAD) == []


async def test_a_public_reply_with_personal_data_waits_for_send_anyway() -> None:
    replies, fakes, _ = desk()

    with pytest.raises(ReplyChecksFailed) as held:
        await replies.send(WORKSPACE, THREAD, AGENT, PERSONAL, key="k", by=BY)
    assert [w.check for w in held.value.warnings] == [ReplyCheck.PERSONAL_DATA]
    assert not held.value.blocking
    assert fakes.outbox.items == []

    await replies.send(WORKSPACE, THREAD, AGENT, PERSONAL, key="k", override=True, by=BY)
    assert fakes.outbox.queued() == [(OutboxKind.REPLY, "reply:7:k", PERSONAL)]


async def test_a_reply_too_long_for_the_network_is_never_sent_even_anyway() -> None:
    replies, fakes, _ = desk()

    for override in (False, True):
        with pytest.raises(ReplyChecksFailed) as held:
            await replies.send(
                WORKSPACE, THREAD, AGENT, "a" * 300, key="k", override=override, by=BY
            )
        assert held.value.blocking
        assert held.value.warnings[0].check is ReplyCheck.TOO_LONG

    assert fakes.outbox.items == []


async def test_a_reply_leaving_an_open_incident_unsaid_is_warned_about() -> None:
    incident = ThreadIncident("Parcel delays", keywords=("parcel",))
    replies, _, _ = desk(replace(PUBLIC_X_THREAD, incidents=(incident,)))

    unsaid = await replies.check(WORKSPACE, THREAD, "Hello, we are looking into it.")
    said = await replies.check(WORKSPACE, THREAD, "Parcels are late this week, sorry.")

    assert [w.check for w in unsaid] == [ReplyCheck.INCIDENT_UNSAID]
    assert said == []


async def test_checking_a_reply_queues_nothing_and_marks_nobody_as_replying() -> None:
    replies, fakes, _ = desk()

    public = await replies.check(WORKSPACE, THREAD, PERSONAL)
    direct = await replies.check(WORKSPACE, THREAD, PERSONAL, direct=True)

    assert [w.check for w in public] == [ReplyCheck.PERSONAL_DATA]
    assert direct == []  # a direct message is where personal data belongs
    assert fakes.outbox.items == []
    assert fakes.desk.replying_on(WORKSPACE, THREAD) == []


async def test_a_colleague_replying_these_two_minutes_holds_the_reply_until_overridden() -> None:
    replies, fakes, hands = desk()
    assert await replies.start(WORKSPACE, THREAD, COLLEAGUE) == []
    hands.now += timedelta(minutes=1)

    with pytest.raises(ReplyCollisionError) as held:
        await replies.send(WORKSPACE, THREAD, AGENT, "On its way!", key="k", by=BY)
    assert held.value.others == [COLLEAGUE]
    assert fakes.outbox.items == []

    await replies.send(WORKSPACE, THREAD, AGENT, "On its way!", key="k", override=True, by=BY)
    assert len(fakes.outbox.items) == 1
    assert fakes.desk.replying_on(WORKSPACE, THREAD) == [COLLEAGUE]  # theirs stays open


async def test_a_colleague_who_opened_the_reply_box_over_two_minutes_ago_holds_nothing() -> None:
    replies, fakes, hands = desk()
    await replies.start(WORKSPACE, THREAD, COLLEAGUE)
    hands.now += timedelta(minutes=2, seconds=1)

    await replies.send(WORKSPACE, THREAD, AGENT, "On its way!", key="k", by=BY)

    assert len(fakes.outbox.items) == 1


async def test_a_reply_held_by_its_checks_names_the_colleagues_replying_too() -> None:
    replies, _, hands = desk()
    await replies.start(WORKSPACE, THREAD, COLLEAGUE)
    hands.now += timedelta(seconds=30)

    with pytest.raises(ReplyChecksFailed) as held:
        await replies.send(WORKSPACE, THREAD, AGENT, PERSONAL, key="k", by=BY)

    assert held.value.others == [COLLEAGUE]  # one "send anyway" overrides both


async def test_a_thread_of_another_workspace_is_not_found_and_nothing_is_queued() -> None:
    replies, fakes, _ = desk()

    with pytest.raises(NotFoundError):
        await replies.send(WORKSPACE + 1, THREAD, AGENT, "On its way!", key="k", by=BY)
    with pytest.raises(NotFoundError):
        await replies.move_to_private(WORKSPACE + 1, THREAD, AGENT, "Your order?", key="k", by=BY)
    with pytest.raises(NotFoundError):
        await replies.check(WORKSPACE + 1, THREAD, "On its way!")

    assert fakes.outbox.items == []
    assert fakes.desk.replying == {}


async def test_moving_to_private_sends_a_direct_message_and_says_so_in_public_once() -> None:
    replies, fakes, _ = desk()

    direct, notice = await replies.move_to_private(
        WORKSPACE, THREAD, AGENT, "Your order number?", key="k1", by=BY
    )
    await replies.move_to_private(WORKSPACE, THREAD, AGENT, "And your postcode?", key="k2", by=BY)

    assert (direct.kind, direct.recipient_id) == (OutboxKind.DIRECT_MESSAGE, "9001")
    assert fakes.outbox.queued() == [
        (OutboxKind.DIRECT_MESSAGE, "private:7:k1", "Your order number?"),
        (OutboxKind.REPLY, "private-notice:5", PRIVATE_NOTICES["en"]),
        (OutboxKind.DIRECT_MESSAGE, "private:7:k2", "And your postcode?"),
    ]
    assert notice.idempotency_key == "private-notice:5"
    assert fakes.desk.replying_on(WORKSPACE, THREAD) == []


async def test_a_private_message_may_hold_personal_data_a_public_reply_is_warned_of() -> None:
    replies, fakes, _ = desk()

    await replies.move_to_private(WORKSPACE, THREAD, AGENT, PERSONAL, key="k", by=BY)

    assert fakes.outbox.queued()[0] == (OutboxKind.DIRECT_MESSAGE, "private:7:k", PERSONAL)


@pytest.mark.parametrize(("language", "notice"), [("fr", "fr"), ("de", "en"), (None, "en")])
async def test_the_public_notice_speaks_the_threads_language_else_english(
    language: str | None, notice: str
) -> None:
    replies, _, _ = desk(replace(PUBLIC_X_THREAD, language=language))

    _, said = await replies.move_to_private(WORKSPACE, THREAD, AGENT, "Hello", key="k", by=BY)

    assert said.body == PRIVATE_NOTICES[notice]


async def test_a_mastodon_thread_moves_to_a_direct_status_addressed_by_handle() -> None:
    replies, _, _ = desk(replace(PUBLIC_X_THREAD, network="mastodon", customer_id=None))

    direct, _ = await replies.move_to_private(WORKSPACE, THREAD, AGENT, "Hello", key="k", by=BY)

    assert (direct.kind, direct.recipient_id) == (OutboxKind.DIRECT_MESSAGE, None)


@pytest.mark.parametrize(
    "thread",
    [
        replace(PUBLIC_X_THREAD, private=True),  # already private
        replace(PUBLIC_X_THREAD, network="bluesky"),  # no direct messages
        replace(PUBLIC_X_THREAD, latest_inbound=None),  # nobody to write to
        replace(PUBLIC_X_THREAD, customer_id=None),  # an X message needs their account
    ],
)
async def test_only_a_public_x_or_mastodon_thread_with_a_customer_moves_to_private(
    thread: ThreadReplyFacts,
) -> None:
    replies, fakes, _ = desk(thread)

    for override in (False, True):
        with pytest.raises(ConfigurationError) as refused:
            await replies.move_to_private(
                WORKSPACE, THREAD, AGENT, "Hello", key="k", override=override, by=BY
            )
        assert refused.value.setting == "private"

    assert fakes.outbox.items == []
    assert fakes.desk.replying_on(WORKSPACE, THREAD) == []
