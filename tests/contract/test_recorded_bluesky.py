"""The Bluesky connector against what the network really sends, and the fake against the
official lexicons.

Recorded: a real `app.bsky.feed.getPostThread` answer, the reference AppView's notification
snapshots (JS-literal syntax, ids replaced by placeholders such as "user(0)") and the
lexicons of listNotifications, getPostThread, feed.defs and feed.post. The lexicon check
below is written for these tests: objects' required fields and property types, arrays,
refs and unions by `$type`, within the recorded lexicons (refs to other lexicons, such as
actor profiles, are checked by hand where it matters).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from pydantic import SecretStr

from connectors.bluesky.fake import FakeBluesky, FakeBlueskyServer
from connectors.bluesky.normalise import (
    is_post_notification,
    notification_mention,
    post_view_mention,
    thread_ancestors,
)
from connectors.bluesky.outbound import BlueskyOutboundChannel
from connectors.bluesky.poller import BlueskyAccount
from connectors.bluesky.xrpc import BlueskyApi, BlueskyCredentials
from inbox.domain.network import Network
from inbox.domain.outbox import OutboxItem, OutboxKind, OutboxStatus
from tests.shared_data import require_shared_data

BRAND = "acme.bsky.social"
PASSWORD = "abcd-efgh-ijkl-mnop"


# -- the lexicons ------------------------------------------------------------------------


class Lexicons:
    def __init__(self, folder: Path) -> None:
        documents = [json.loads(p.read_text(encoding="utf-8")) for p in folder.glob("*.json")]
        self.documents = {document["id"]: document for document in documents}

    def main(self, lexicon: str) -> tuple[str, dict[str, Any]]:
        return lexicon, self.documents[lexicon]["defs"]["main"]

    def resolve(self, ref: str, context: str) -> tuple[str, dict[str, Any]] | None:
        lexicon, _, name = ref.partition("#")
        lexicon = lexicon or context
        document = self.documents.get(lexicon)
        if document is None:
            return None  # outside the recorded lexicons
        return lexicon, document["defs"][name or "main"]

    def problems(self, value: Any, lexicon: str) -> list[str]:
        context, schema = self.main(lexicon)
        found: list[str] = []
        self._check(value, schema, context, "$", found)
        return found

    def _check(
        self, value: Any, schema: dict[str, Any], context: str, path: str, found: list[str]
    ) -> None:
        kind = schema.get("type")
        if kind in ("query", "procedure"):
            schema = schema["output"]["schema"]
            kind = schema["type"]
        if kind == "record":
            schema = schema["record"]
            kind = "object"
        if kind == "ref":
            target = self.resolve(schema["ref"], context)
            if target is not None:
                self._check(value, target[1], target[0], path, found)
        elif kind == "union":
            self._check_union(value, schema, context, path, found)
        elif kind == "object":
            self._check_object(value, schema, context, path, found)
        elif kind == "array":
            if not isinstance(value, list):
                found.append(f"{path}: not an array")
                return
            for number, item in enumerate(value):
                self._check(item, schema["items"], context, f"{path}[{number}]", found)
        elif kind == "string":
            self._check_string(value, schema, path, found)
        elif kind == "integer" and (not isinstance(value, int) or isinstance(value, bool)):
            found.append(f"{path}: not an integer")
        elif kind == "boolean" and not isinstance(value, bool):
            found.append(f"{path}: not a boolean")
        elif kind == "unknown" and not isinstance(value, dict):
            found.append(f"{path}: an unknown-typed value must be an object")

    def _check_object(
        self, value: Any, schema: dict[str, Any], context: str, path: str, found: list[str]
    ) -> None:
        if not isinstance(value, dict):
            found.append(f"{path}: not an object")
            return
        for name in schema.get("required", []):
            if name not in value:
                found.append(f"{path}: required '{name}' missing")
        for name, property_schema in schema.get("properties", {}).items():
            if name in value and value[name] is not None:
                self._check(value[name], property_schema, context, f"{path}.{name}", found)

    def _check_union(
        self, value: Any, schema: dict[str, Any], context: str, path: str, found: list[str]
    ) -> None:
        if not isinstance(value, dict) or not isinstance(value.get("$type"), str):
            found.append(f"{path}: a union member needs a $type")
            return
        wanted = value["$type"].removesuffix("#main")
        for ref in schema["refs"]:
            full = f"{context}{ref}" if ref.startswith("#") else ref
            if full.removesuffix("#main") == wanted:
                target = self.resolve(ref, context)
                if target is not None:
                    self._check(value, target[1], target[0], path, found)
                return
        if schema.get("closed"):
            found.append(f"{path}: $type {wanted} is not one of {schema['refs']}")

    @staticmethod
    def _check_string(value: Any, schema: dict[str, Any], path: str, found: list[str]) -> None:
        if not isinstance(value, str):
            found.append(f"{path}: not a string")
            return
        form = schema.get("format")
        if form == "datetime":
            try:
                parsed = datetime.fromisoformat(value)
            except ValueError:
                found.append(f"{path}: {value!r} is not a datetime")
                return
            if parsed.tzinfo is None:
                found.append(f"{path}: {value!r} has no time zone")
        elif form == "at-uri" and not value.startswith("at://"):
            found.append(f"{path}: {value!r} is not an AT-URI")
        elif form == "did" and not value.startswith("did:"):
            found.append(f"{path}: {value!r} is not a DID")
        elif form == "cid" and not value:
            found.append(f"{path}: an empty CID")
        if "const" in schema and value != schema["const"]:
            found.append(f"{path}: must be {schema['const']!r}")


def lexicons() -> Lexicons:
    return Lexicons(require_shared_data("bluesky", "lexicons"))


# -- the recordings ----------------------------------------------------------------------

PLACEHOLDER = re.compile(r"^(user|record|cids)\((\d+)\)$")


def _real_looking(value: Any) -> Any:
    """The snapshot's placeholders as ids of the right syntax (consistent: the same
    placeholder always becomes the same id), so that threading can be checked."""
    if isinstance(value, dict):
        return {key: _real_looking(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_real_looking(item) for item in value]
    match = PLACEHOLDER.match(value) if isinstance(value, str) else None
    if match is None:
        return value
    kind, number = match.groups()
    if kind == "user":
        return f"did:plc:snapshotuser{number}"
    if kind == "record":
        return f"at://did:plc:snapshotrepo/app.bsky.feed.post/3kaaaaaaaa{int(number):03d}"
    return f"bafyreisnapshot{number}"


def snapshot_notifications() -> Iterator[tuple[str, dict[str, Any]]]:
    path = require_shared_data("bluesky", "notifications_snapshot.ts.snap")
    text = path.read_text(encoding="utf-8")
    for name, body in re.findall(r"exports\[`(.*?)`\] = `\n?(.*?)`;", text, re.S):
        data = json.loads(re.sub(r",(\s*[\]}])", r"\1", body))  # JS trailing commas
        for item in data if isinstance(data, list) else data.get("notifications", []):
            if isinstance(item, dict) and "reason" in item:
                yield name, _real_looking(item)


def recorded_thread() -> dict[str, Any]:
    path = require_shared_data("bluesky", "getPostThread_real.json")
    value: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return value


def test_the_recorded_thread_meets_the_lexicon() -> None:
    """The check itself, against what bsky.social really sent: no problem found."""
    assert lexicons().problems(recorded_thread(), "app.bsky.feed.getPostThread") == []


def test_the_check_names_what_a_broken_answer_lacks() -> None:
    thread = recorded_thread()
    del thread["thread"]["post"]["indexedAt"]
    thread["thread"]["parent"] = {"$type": "app.bsky.feed.defs#notFoundPost", "uri": "x"}
    assert lexicons().problems(thread, "app.bsky.feed.getPostThread") == [
        "$.thread.post: required 'indexedAt' missing",
        "$.thread.parent: required 'notFound' missing",
        "$.thread.parent.uri: 'x' is not an AT-URI",
    ]


def test_the_recorded_thread_post_becomes_a_mention() -> None:
    views, stopped = thread_ancestors(recorded_thread())
    assert stopped is None
    (view,) = views
    mention = post_view_mention(view)
    assert mention.network is Network.BLUESKY
    assert mention.external_id == view["uri"]
    assert mention.author.external_id == "did:plc:kvwvcn5iqfooopmyzvb4qzba"
    assert mention.author.handle == "test.marshal.dev"
    assert mention.author.display_name == "Python SDK"
    assert mention.text == ""  # an image post: the text may be empty
    assert mention.language == "en"
    assert mention.conversation_key == view["uri"]  # not a reply: it starts its own thread
    assert mention.in_reply_to is None
    assert mention.created_at == datetime(2023, 9, 28, 12, 49, 36, 735000, tzinfo=UTC)
    assert mention.url == "https://bsky.app/profile/test.marshal.dev/post/3kaheyt6vpc22"


def test_recorded_mentions_replies_and_quotes_become_mentions_threaded_by_root() -> None:
    seen: dict[str, int] = {}
    for name, item in snapshot_notifications():
        if not is_post_notification(item):
            continue
        mention = notification_mention(item)  # raises, naming the field, if the shape moved
        seen[item["reason"]] = seen.get(item["reason"], 0) + 1
        reply = item["record"].get("reply")
        if reply is None:
            assert mention.conversation_key == item["uri"], name
        else:
            assert mention.conversation_key == reply["root"]["uri"], name
            assert mention.in_reply_to == reply["parent"]["uri"], name
        assert mention.author.external_id == item["author"]["did"]
        assert mention.text == item["record"]["text"]
    assert seen == {"reply": 9, "mention": 3, "quote": 2}


def test_recorded_likes_follows_and_reposts_are_not_read_as_mentions() -> None:
    others = {item["reason"] for _, item in snapshot_notifications()} - {
        "mention",
        "reply",
        "quote",
    }
    assert {"like", "follow", "repost"} <= others
    assert not any(
        is_post_notification(item)
        for _, item in snapshot_notifications()
        if item["reason"] in others
    )


# -- the fake against the lexicons -------------------------------------------------------


def _world() -> tuple[FakeBluesky, dict[str, str]]:
    fake = FakeBluesky()
    fake.add_account(BRAND, "Acme Telecom", app_password=PASSWORD)
    fake.add_account("jo.bsky.social", "Jo")
    fake.add_account("sam.bsky.social")
    announcement = fake.post(BRAND, "Maintenance tonight")
    reply = fake.post("jo.bsky.social", "will TV work?", reply_to=announcement)
    deeper = fake.post("sam.bsky.social", f"@{BRAND} and phones?", reply_to=reply)
    quote = fake.post("sam.bsky.social", "again!", quote=announcement)
    orphan_parent = fake.post("jo.bsky.social", "first")
    orphan = fake.post("sam.bsky.social", f"@{BRAND} second", reply_to=orphan_parent)
    fake.delete(orphan_parent)
    return fake, {
        "announcement": announcement,
        "reply": reply,
        "deeper": deeper,
        "quote": quote,
        "orphan": orphan,
    }


async def _call(
    session: aiohttp.ClientSession, url: str, nsid: str, token: str, **params: str
) -> tuple[int, Any]:
    async with session.get(
        f"{url}/xrpc/{nsid}", params=params, headers={"Authorization": f"Bearer {token}"}
    ) as response:
        return response.status, await response.json()


async def test_the_fakes_answers_carry_what_the_lexicons_require() -> None:
    checker = lexicons()
    fake, posts = _world()
    async with FakeBlueskyServer(fake) as server, aiohttp.ClientSession() as session:
        async with session.post(
            f"{server.url}/xrpc/com.atproto.server.createSession",
            json={"identifier": BRAND, "password": PASSWORD},
        ) as signed_in:
            token = (await signed_in.json())["accessJwt"]
        status, notifications = await _call(
            session, server.url, "app.bsky.notification.listNotifications", token, limit="50"
        )
        threads = [
            await _call(session, server.url, "app.bsky.feed.getPostThread", token, uri=posts[name])
            for name in ("deeper", "announcement", "orphan")
        ]
        missing_status, missing = await _call(
            session,
            server.url,
            "app.bsky.feed.getPostThread",
            token,
            uri=posts["announcement"] + "x",
        )
    assert status == 200
    assert {n["reason"] for n in notifications["notifications"]} == {"reply", "mention", "quote"}
    assert checker.problems(notifications, "app.bsky.notification.listNotifications") == []
    for item in notifications["notifications"]:
        assert {"did", "handle"} <= set(item["author"])  # app.bsky.actor.defs#profileView
    for thread_status, thread in threads:
        assert thread_status == 200
        assert checker.problems(thread, "app.bsky.feed.getPostThread") == []
    assert threads[2][1]["thread"]["parent"]["notFound"] is True  # a deleted parent
    # Errors are XRPC's: a status, and {"error", "message"} with a name the lexicon lists.
    assert missing_status == 400
    assert set(missing) == {"error", "message"}
    assert missing["error"] in {
        e["name"] for e in checker.main("app.bsky.feed.getPostThread")[1]["errors"]
    }


async def test_a_reply_the_connector_writes_meets_the_post_lexicon() -> None:
    checker = lexicons()
    fake, posts = _world()
    async with FakeBlueskyServer(fake) as server, aiohttp.ClientSession() as session:
        api = BlueskyApi(
            server.url, BRAND, BlueskyCredentials(SecretStr(PASSWORD)), session, clock=_now
        )
        account = BlueskyAccount(1, 1, fake.did_of(BRAND), BRAND)
        channel = BlueskyOutboundChannel(account, api, _now)
        await channel.send(
            _item(posts["deeper"], posts["announcement"], "See https://acme.example/status.")
        )
    (posted,) = fake.posted
    assert checker.problems(posted.record, "app.bsky.feed.post") == []
    # com.atproto.repo.strongRef, outside the recorded lexicons: uri and cid, both required.
    for side in ("root", "parent"):
        assert set(posted.record["reply"][side]) == {"uri", "cid"}
    assert posted.record["reply"]["root"]["uri"] == posts["announcement"]
    kinds = [f["features"][0]["$type"] for f in posted.record["facets"]]
    assert kinds == ["app.bsky.richtext.facet#mention", "app.bsky.richtext.facet#link"]


def _now() -> datetime:
    return datetime.now(UTC)


def _item(in_reply_to: str, thread_key: str, body: str) -> OutboxItem:
    now = _now()
    return OutboxItem(
        workspace_id=1,
        id=41,
        thread_id=1,
        network=Network.BLUESKY,
        kind=OutboxKind.REPLY,
        idempotency_key="k",
        body=body,
        in_reply_to=in_reply_to,
        account_id=1,
        recipient_id=None,
        thread_key=thread_key,
        status=OutboxStatus.SENDING,
        attempts=1,
        last_error=None,
        sent_external_id=None,
        created_at=now,
        updated_at=now,
    )
