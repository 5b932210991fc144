"""Meta webhook notifications into mentions: threading keys, direction, rejects that say where."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from connectors.meta.fake import FakeMeta
from connectors.meta.normalise import MentionLookup, looked_up_mention, normalise_notification
from inbox.domain.mention import Direction
from inbox.domain.network import Network

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def body(document: Any) -> bytes:
    return json.dumps(document).encode()


def fake() -> FakeMeta:
    return FakeMeta(clock=lambda: T0)


def test_a_facebook_comment_starts_a_conversation_and_its_replies_name_their_parent() -> None:
    meta = fake()
    first = meta.facebook_comment("5001", "Jane Doe", "My fibre is down since 8")
    again = meta.facebook_comment("5001", "Jane Doe", "Still down", reply_to=first.id)
    ours = meta.reply(Network.FACEBOOK, first.id, "Sorry Jane, we are on it")
    found = normalise_notification(body(meta.notification(first, again, ours)), source="fb")
    assert found.rejected == []
    assert found.lookups == []
    top, reply, answer = found.mentions
    assert (top.external_id, top.conversation_key, top.in_reply_to) == (first.id, first.id, None)
    assert (reply.conversation_key, reply.in_reply_to) == (None, first.id)
    assert top.network is Network.FACEBOOK
    assert top.author.display_name == "Jane Doe"
    assert top.created_at == T0
    assert top.text == "My fibre is down since 8"
    assert answer.direction is Direction.OUTBOUND
    assert top.direction is Direction.INBOUND


def test_an_instagram_comment_takes_the_notification_time() -> None:
    meta = fake()
    comment = meta.instagram_comment("6001", "jane.d", "Where is my parcel?")
    reply = meta.instagram_comment("6001", "jane.d", "Hello?", reply_to=comment.id)
    found = normalise_notification(body(meta.notification(comment, reply)), source="ig")
    first, second = found.mentions
    assert first.network is Network.INSTAGRAM
    assert first.author.handle == "jane.d"
    assert first.created_at == T0
    assert first.conversation_key == comment.id
    assert (second.conversation_key, second.in_reply_to) == (None, comment.id)


def test_an_instagram_mention_is_left_to_look_up() -> None:
    meta = fake()
    mentioned = meta.instagram_comment("6002", "someone", "@acme_support help", mention=True)
    found = normalise_notification(body(meta.notification(mentioned)), source="ig")
    assert found.mentions == []
    assert found.rejected == []
    (lookup,) = found.lookups
    assert (lookup.instagram_id, lookup.comment_id) == (meta.instagram_id, mentioned.id)
    answer = {
        "id": mentioned.id,
        "text": "@acme_support help",
        "timestamp": "2026-03-02T09:00:00+0000",
    }
    mention = looked_up_mention(lookup, answer)
    assert mention.text == "@acme_support help"
    assert mention.created_at == T0
    assert mention.author.external_id == f"mention:{mentioned.id}"


def test_a_caption_mention_names_its_author() -> None:
    lookup = MentionLookup("178", "1790", None, "entry[0].changes[0]", {"field": "mentions"})
    answer = {
        "id": "1790",
        "caption": "thanks @acme_support",
        "timestamp": "2026-03-02T09:00:00+0000",
        "username": "fan",
        "permalink": "https://www.instagram.com/p/abc/",
    }
    mention = looked_up_mention(lookup, answer)
    assert (mention.author.external_id, mention.text) == ("@fan", "thanks @acme_support")


def test_likes_edits_and_other_objects_are_counted_not_stored() -> None:
    like = {"item": "reaction", "verb": "add", "reaction_type": "like", "post_id": "1_2"}
    edit = {"item": "comment", "verb": "edited", "comment_id": "2_3"}
    document = {
        "object": "page",
        "entry": [
            {
                "id": "104",
                "time": 1,
                "changes": [{"field": "feed", "value": like}, {"field": "feed", "value": edit}],
            },
            {"id": "104", "time": 1, "messaging": [{"message": {"text": "hi"}}]},
        ],
    }
    found = normalise_notification(body(document), source="fb")
    assert (found.mentions, found.rejected, found.ignored) == ([], [], 3)
    assert normalise_notification(body({"object": "user", "entry": [{}]}), source="x").ignored == 1


def test_a_malformed_comment_is_rejected_with_where_and_which_field() -> None:
    meta = fake()
    good = meta.facebook_comment("5001", "Jane Doe", "fine")
    document = meta.notification(good, meta.facebook_comment("5002", "Bob", "no author"))
    del document["entry"][0]["changes"][1]["value"]["from"]
    found = normalise_notification(body(document), source="fb")
    assert [m.external_id for m in found.mentions] == [good.id]
    (rejected,) = found.rejected
    assert rejected.source == "meta:fb"
    assert rejected.error.startswith("entry[0].changes[1] (")
    assert "value.from: Field required" in rejected.error
    assert json.loads(rejected.raw)["value"]["message"] == "no author"


def test_bodies_that_are_not_notifications_are_rejected_whole() -> None:
    for raw, reason in [
        (b"{not json", "body: not valid JSON"),
        (b"[1, 2]", "body: not a JSON object"),
        (b'{"object": "page"}', "entry: expected a list"),
        (b'{"object": "page", "entry": [{"changes": []}]}', "entry[0].id: missing"),
    ]:
        found = normalise_notification(raw, source="fb")
        (rejected,) = found.rejected
        assert rejected.error.startswith(reason), rejected.error


def test_an_instagram_comment_without_a_time_is_rejected() -> None:
    meta = fake()
    document = meta.notification(meta.instagram_comment("6001", "jane.d", "hi"))
    del document["entry"][0]["time"]
    (rejected,) = normalise_notification(body(document), source="ig").rejected
    assert "'time' is missing or out of range" in rejected.error


def test_an_instagram_comment_whose_time_no_clock_can_hold_is_rejected_alone() -> None:
    meta = fake()
    document = meta.notification(meta.instagram_comment("6001", "jane.d", "hi"))
    document["entry"][0]["time"] = 10**30
    found = normalise_notification(body(document), source="ig")
    (rejected,) = found.rejected
    assert rejected.error.startswith("entry[0].changes[0]: the entry's 'time' is missing or out")


def test_a_body_too_deep_or_with_a_number_too_long_to_read_is_rejected_with_the_reason() -> None:
    deep = normalise_notification(b"[" * 100_000, source="ig").rejected[0]
    assert deep.error == "body: JSON nested too deeply"
    huge = b'{"object": "page", "entry": [{"id": "1", "time": ' + b"9" * 5000 + b"}]}"
    (rejected,) = normalise_notification(huge, source="ig").rejected
    assert (
        rejected.error
        == "body: a number of 5,000 digits at column 50: more than 4,300 cannot be read"
    )
    assert rejected.raw == huge
