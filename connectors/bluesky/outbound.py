"""Posting outbox items as the brand's Bluesky account, and finding them again after a crash.

A reply on Bluesky names two posts by address and content hash (CID): the post it answers
(`parent`) and the first post of the thread (`root`). Both are read fresh from the network
before posting (`getPostThread` of the parent, no replies, no ancestors): the inbox stores
addresses, not CIDs, and a deleted parent is refused here with a clear reason.

Every attempt at one item writes the same record key (see `record_key`), so a post made by
an attempt whose answer was lost is found with one `getRecord`, and a repeated
`createRecord` cannot make a second post.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from connectors.bluesky.normalise import (
    POST_URI,
    PostRecord,
    PostView,
    post_url,
    record_key,
)
from connectors.bluesky.poller import BlueskyAccount
from connectors.bluesky.record_key import outbox_record_key
from connectors.bluesky.richtext import facets, too_long
from connectors.bluesky.xrpc import (
    POST_COLLECTION,
    BlueskyApi,
    BlueskyApiError,
    PermanentApiError,
)
from connectors.common.outbound import delivery_error
from connectors.common.rejected import validation_reason
from inbox.domain.clock import Clock
from inbox.domain.mention import Author, Direction, Mention
from inbox.domain.network import Network
from inbox.domain.outbox import DeliveryError, OutboxItem, OutboxKind

_POST_URI_START = "at://"
_POST_URI = re.compile(POST_URI)


@dataclass(frozen=True, slots=True)
class _Target:
    """The post a reply answers, as the network has it now."""

    parent: dict[str, str]
    root: dict[str, str]
    author_did: str
    author_handle: str


def addressed(body: str, handle: str) -> str:
    """A public reply starts with the customer's @handle, as on X: it is addressed to them,
    and a mention facet makes it a link to their profile."""
    if body.casefold().startswith(f"@{handle}".casefold()):
        return body
    return f"@{handle} {body}"


def _timestamp(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class BlueskyOutboundChannel:
    def __init__(self, account: BlueskyAccount, api: BlueskyApi, clock: Clock) -> None:
        self._account = account
        self._api = api
        self._clock = clock

    async def send(self, item: OutboxItem) -> Mention:
        if item.kind is OutboxKind.DIRECT_MESSAGE:
            raise DeliveryError(
                "direct messages are not sent on Bluesky; answer in public", permanent=True
            )
        target = await self._target(item)
        text = addressed(item.body, target.author_handle)
        problem = too_long(text)
        if problem is not None:
            raise DeliveryError(problem, permanent=True)
        record: dict[str, Any] = {
            "$type": POST_COLLECTION,
            "text": text,
            "createdAt": _timestamp(self._clock()),
            "reply": {"root": target.root, "parent": target.parent},
        }
        found_facets = facets(text, {target.author_handle: target.author_did})
        if found_facets:
            record["facets"] = found_facets
        rkey = outbox_record_key(item.id, item.created_at)
        try:
            answer = await self._api.create_post(self._account.did, rkey, record)
        except PermanentApiError as error:
            # Servers answer a key already taken in different ways (400, even 500): if the
            # record is there, an earlier attempt posted it.
            earlier = await self.find_sent(item)
            if earlier is not None:
                return earlier
            raise delivery_error(error) from None
        except BlueskyApiError as error:
            raise delivery_error(error) from None
        body = answer.body if isinstance(answer.body, dict) else {}
        uri, cid = body.get("uri"), body.get("cid")
        if not isinstance(uri, str) or not isinstance(cid, str):
            # Posted or not, we cannot tell from this answer: the next attempt reconciles.
            raise DeliveryError(
                "Bluesky accepted the post but its answer has no uri", permanent=False
            )
        return self._as_mention(item, uri, {"uri": uri, "cid": cid, "value": record})

    async def find_sent(self, item: OutboxItem) -> Mention | None:
        if item.kind is OutboxKind.DIRECT_MESSAGE:
            return None  # never sent on Bluesky
        rkey = outbox_record_key(item.id, item.created_at)
        try:
            answer = await self._api.get_post_record(self._account.did, rkey)
        except PermanentApiError as error:
            if error.error == "RecordNotFound" or error.status == 404:
                return None
            raise delivery_error(error) from None
        except BlueskyApiError as error:
            raise delivery_error(error) from None
        body = answer.body if isinstance(answer.body, dict) else {}
        uri = body.get("uri")
        if not isinstance(uri, str) or record_key(uri) != rkey:
            raise DeliveryError("Bluesky's getRecord answer names no record", permanent=False)
        return self._as_mention(item, uri, body)

    async def _target(self, item: OutboxItem) -> _Target:
        parent_uri = item.in_reply_to or item.thread_key
        if not parent_uri.startswith(_POST_URI_START):
            raise DeliveryError(f"{parent_uri!r} is not a Bluesky post to reply to", permanent=True)
        try:
            answer = await self._api.post_thread(parent_uri, parent_height=0)
        except PermanentApiError as error:
            if error.error == "NotFound":
                raise DeliveryError(
                    "the post replied to was deleted or is not visible", permanent=True
                ) from None
            raise delivery_error(error) from None
        except BlueskyApiError as error:
            raise delivery_error(error) from None
        thread = answer.body.get("thread") if isinstance(answer.body, dict) else None
        if not isinstance(thread, dict):
            raise DeliveryError("getPostThread answered without a thread", permanent=False)
        if thread.get("blocked") is True:
            raise DeliveryError("the post replied to is blocked", permanent=True)
        if thread.get("notFound") is True:
            raise DeliveryError("the post replied to was deleted or is not visible", permanent=True)
        try:
            post = PostView.model_validate(thread.get("post"))
            record = PostRecord.model_validate(post.record)
        except ValidationError as exc:
            raise DeliveryError(
                f"the post replied to cannot be read: {validation_reason(exc, 'post')}",
                permanent=True,
            ) from None
        parent = {"uri": post.uri, "cid": post.cid}
        root = parent
        if record.reply is not None:
            root = {"uri": record.reply.root.uri, "cid": record.reply.root.cid}
        return _Target(parent, root, post.author.did, post.author.handle)

    def _as_mention(self, item: OutboxItem, uri: str, data: dict[str, Any]) -> Mention:
        value = data.get("value")
        text = value.get("text") if isinstance(value, dict) else None
        reply = value.get("reply") if isinstance(value, dict) else None
        parent = reply.get("parent") if isinstance(reply, dict) else None
        parent_uri = parent.get("uri") if isinstance(parent, dict) else None
        return Mention(
            network=Network.BLUESKY,
            external_id=uri,
            author=Author(external_id=self._account.did, handle=self._account.handle),
            text=text if isinstance(text, str) else item.body,
            created_at=self._clock(),
            direction=Direction.OUTBOUND,
            # The thread's key, so that the message lands on its thread at once.
            conversation_key=item.thread_key,
            in_reply_to=parent_uri
            if isinstance(parent_uri, str) and _matches_post_uri(parent_uri)
            else item.in_reply_to,
            url=post_url(uri, self._account.handle),
            raw={"record": data, "outbox_item": item.id},
            automated=item.kind is OutboxKind.ACKNOWLEDGEMENT,
        )


def _matches_post_uri(uri: str) -> bool:
    return _POST_URI.fullmatch(uri) is not None
