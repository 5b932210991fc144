"""Replies to Facebook and Instagram comments as the brand, found again after a crash.

A reply goes to the thread's top-level comment (`thread_key`): both networks nest replies one
level deep, so that is where it lands anyway, and where `find_sent` lists it back. Posting
privately (direct messages) is not offered here.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from connectors.meta.graph import GraphApi, GraphError
from inbox.domain.clock import Clock
from inbox.domain.mention import Author, Direction, Mention
from inbox.domain.network import Network
from inbox.domain.outbox import DeliveryError, OutboxItem, OutboxKind


def _comparable(text: str) -> str:
    """Graph may store the text with other spaces or another Unicode form; compare loosely."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def _delivery_error(error: GraphError) -> DeliveryError:
    return DeliveryError(error.reason, permanent=not error.transient)


class MetaOutboundChannel:
    """The OutboundChannel of one Facebook Page or Instagram account."""

    def __init__(
        self,
        network: Network,
        account_id: str,
        handle: str,
        api: GraphApi,
        clock: Clock,
    ) -> None:
        self._network = network
        self._account_id = account_id
        self._handle = handle
        self._api = api
        self._clock = clock

    def _target(self, item: OutboxItem) -> str:
        if item.kind is OutboxKind.DIRECT_MESSAGE:
            raise DeliveryError(
                f"private messages are not sent on {self._network.value}; reply publicly",
                permanent=True,
            )
        return item.thread_key

    async def send(self, item: OutboxItem) -> Mention:
        target = self._target(item)
        try:
            answer = await self._api.reply(self._network, target, item.body)
        except GraphError as error:
            raise _delivery_error(error) from None
        posted = answer.get("id")
        if not isinstance(posted, str) or not posted:
            # Posted or not, this answer cannot tell: the next attempt reconciles first.
            raise DeliveryError("the Graph API accepted the reply but gave no id", permanent=False)
        return self._as_mention(item, posted, answer)

    async def find_sent(self, item: OutboxItem) -> Mention | None:
        target = self._target(item)
        try:
            replies = await self._api.replies(self._network, target)
        except GraphError as error:
            raise _delivery_error(error) from None
        wanted = _comparable(item.body)
        for reply in replies:
            text = reply.get("text") if self._network is Network.INSTAGRAM else reply.get("message")
            if (
                self._is_ours(reply)
                and isinstance(text, str)
                and _comparable(text) == wanted
                and isinstance(reply.get("id"), str)
            ):
                return self._as_mention(item, reply["id"], reply)
        return None

    def _is_ours(self, reply: dict[str, Any]) -> bool:
        author = reply.get("from")
        author_id = author.get("id") if isinstance(author, dict) else None
        if author_id is not None:
            return str(author_id) == self._account_id
        return self._network is Network.INSTAGRAM and reply.get("username") == self._handle

    def _as_mention(self, item: OutboxItem, external_id: str, data: dict[str, Any]) -> Mention:
        return Mention(
            network=self._network,
            external_id=external_id,
            author=Author(external_id=self._account_id, handle=self._handle),
            text=item.body,
            created_at=self._clock(),
            direction=Direction.OUTBOUND,
            conversation_key=item.thread_key,
            in_reply_to=item.in_reply_to,
            url=(
                f"https://www.facebook.com/{external_id}"
                if self._network is Network.FACEBOOK
                else None
            ),
            raw={"graph": data, "outbox_item": item.id},
            automated=item.kind is OutboxKind.ACKNOWLEDGEMENT,
        )
