"""Posting outbox items as the brand's X account, and finding them again after a crash."""

from __future__ import annotations

import unicodedata
from datetime import timedelta
from typing import Any

from connectors.common.outbound import delivery_error
from connectors.x.api import XApi, XApiError
from connectors.x.normalise import tweet_url
from connectors.x.poller import XAccount
from inbox.domain.clock import Clock
from inbox.domain.mention import Author, Direction, Mention
from inbox.domain.network import Network
from inbox.domain.outbox import DeliveryError, OutboxItem, OutboxKind

# How far before the item's creation to look for a post made by an earlier attempt.
RECONCILE_MARGIN = timedelta(minutes=5)


def _comparable(text: str) -> str:
    """X may normalise what it stores (Unicode form, spaces, links); compare loosely."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def addressed(item: OutboxItem) -> str:
    """A public reply starts with the customer's @handle, as replies on X do: it is addressed
    to them, and two customers given the same words (an acknowledgement) are not refused as
    duplicate posts."""
    handle = item.reply_to_handle
    if item.kind is OutboxKind.DIRECT_MESSAGE or not handle:
        return item.body
    if item.body.casefold().startswith(f"@{handle}".casefold()):
        return item.body
    return f"@{handle} {item.body}"


class XOutboundChannel:
    def __init__(self, account: XAccount, api: XApi, clock: Clock) -> None:
        self._account = account
        self._api = api
        self._clock = clock

    async def send(self, item: OutboxItem) -> Mention:
        try:
            if item.kind is OutboxKind.DIRECT_MESSAGE:
                return await self._send_direct_message(item)
            answer = await self._api.create_reply(addressed(item), item.in_reply_to)
        except XApiError as error:
            raise delivery_error(error) from None
        data = answer.body.get("data") if isinstance(answer.body, dict) else None
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            # Posted or not, we cannot tell from this answer: the next attempt reconciles.
            raise DeliveryError("X accepted the post but its answer has no id", permanent=False)
        return self._as_mention(item, data["id"], data)

    async def find_sent(self, item: OutboxItem) -> Mention | None:
        if item.kind is OutboxKind.DIRECT_MESSAGE:
            # Direct messages cannot be listed back cheaply; never risk sending one twice.
            raise DeliveryError(
                "an earlier attempt may have sent this direct message; check the conversation "
                "on X before sending it again",
                permanent=True,
            )
        try:
            answer = await self._api.own_posts(
                self._account.user_id, start_time=item.created_at - RECONCILE_MARGIN
            )
        except XApiError as error:
            raise delivery_error(error) from None
        tweets = answer.body.get("data") if isinstance(answer.body, dict) else None
        for tweet in tweets if isinstance(tweets, list) else []:
            if isinstance(tweet, dict) and self._is_reply_of(tweet, item):
                return self._as_mention(item, str(tweet["id"]), tweet)
        return None

    async def _send_direct_message(self, item: OutboxItem) -> Mention:
        if not item.recipient_id:
            raise DeliveryError("a direct message needs a recipient", permanent=True)
        answer = await self._api.send_direct_message(item.recipient_id, item.body)
        data = answer.body.get("data") if isinstance(answer.body, dict) else None
        if not isinstance(data, dict) or not isinstance(data.get("dm_event_id"), str):
            raise DeliveryError("X accepted the message but its answer has no id", permanent=True)
        return self._as_mention(item, f"dm:{data['dm_event_id']}", data)

    def _is_reply_of(self, tweet: dict[str, Any], item: OutboxItem) -> bool:
        references = tweet.get("referenced_tweets") or []
        replied_to = {
            r.get("id") for r in references if isinstance(r, dict) and r.get("type") == "replied_to"
        }
        same_target = item.in_reply_to is None or item.in_reply_to in replied_to
        text = tweet.get("text")
        return (
            same_target
            and isinstance(text, str)
            and _comparable(text) == _comparable(addressed(item))
        )

    def _as_mention(self, item: OutboxItem, external_id: str, data: dict[str, Any]) -> Mention:
        return Mention(
            network=Network.X,
            external_id=external_id,
            author=Author(external_id=self._account.user_id, handle=self._account.handle),
            text=addressed(item) if item.kind is not OutboxKind.DIRECT_MESSAGE else item.body,
            created_at=self._clock(),
            direction=Direction.OUTBOUND,
            # The thread's key, so that the message lands on its thread at once.
            conversation_key=item.thread_key,
            in_reply_to=item.in_reply_to,
            url=None
            if external_id.startswith("dm:")
            else tweet_url(external_id, self._account.handle),
            raw={"data": data, "outbox_item": item.id},
            automated=item.kind is OutboxKind.ACKNOWLEDGEMENT,
        )
