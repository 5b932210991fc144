"""Posting outbox items as the brand's Mastodon account, exactly once.

Two guards against a second post. Every POST carries an `Idempotency-Key` derived from the
outbox item: Mastodon answers a repeat within the hour with the status it already made. And
before any retry the sender calls `find_sent`, which looks for the reply among the account's
own recent statuses (same parent, same words), so an attempt cut off by a crash is recorded,
not repeated, even after the hour.

A reply is addressed to the customer (`@acct ...`) and is never more public than what it
answers: a reply to a direct or followers-only post is direct.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import datetime, timedelta
from typing import Any

from connectors.common.http_api import PermanentApiError
from connectors.common.outbound import delivery_error
from connectors.mastodon.api import MastodonApi, MastodonApiError
from connectors.mastodon.html_text import html_to_text
from connectors.mastodon.normalise import id_order
from connectors.mastodon.poller import MastodonAccount
from inbox.domain.clock import Clock
from inbox.domain.mention import Author, Direction, Mention
from inbox.domain.network import Network
from inbox.domain.outbox import DeliveryError, OutboxItem, OutboxKind

# How far before the item's creation to look for a status made by an earlier attempt.
RECONCILE_MARGIN = timedelta(minutes=5)
RECONCILE_PAGES = 5
_REMOTE_MENTION = re.compile(r"@([A-Za-z0-9_]+)@[A-Za-z0-9.\-]+")

REPLY_VISIBILITY = {
    "public": "public",
    "unlisted": "unlisted",
    "private": "direct",
    "direct": "direct",
}


def addressed(item: OutboxItem, handle: str | None) -> str:
    """The reply starts with the customer's @acct: Mastodon delivers it to them by that."""
    if not handle or item.body.casefold().startswith(f"@{handle}".casefold()):
        return item.body
    return f"@{handle} {item.body}"


def idempotency_key(item: OutboxItem) -> str:
    """Stable for the item across attempts and processes; reveals nothing of it."""
    seed = f"inbox:{item.workspace_id}:{item.id}:{item.idempotency_key}"
    return hashlib.sha256(seed.encode()).hexdigest()[:40]


def comparable(text: str) -> str:
    """Mastodon shows a remote mention as @user (not @user@domain) and changes spacing."""
    text = unicodedata.normalize("NFC", text)
    return " ".join(_REMOTE_MENTION.sub(r"@\1", text).split()).casefold()


# A timeout (408) or a conflict (409) does not refuse the post: it is tried again.
RETRIED_STATUSES = (408, 409)


class MastodonOutboundChannel:
    def __init__(self, account: MastodonAccount, api: MastodonApi, clock: Clock) -> None:
        self._account = account
        self._api = api
        self._clock = clock

    async def send(self, item: OutboxItem) -> Mention:
        try:
            visibility, handle = await self._audience(item)
            answer = await self._api.post_status(
                addressed(item, handle),
                in_reply_to_id=item.in_reply_to,
                visibility=visibility,
                idempotency_key=idempotency_key(item),
            )
        except MastodonApiError as error:
            raise delivery_error(error, retried=RETRIED_STATUSES) from None
        status = answer.body if isinstance(answer.body, dict) else None
        if status is None or not isinstance(status.get("id"), str):
            # Posted or not, this answer cannot tell: the next attempt reconciles.
            raise DeliveryError(
                "Mastodon accepted the post but its answer has no id", permanent=False
            )
        return self._as_mention(item, status, addressed(item, handle), visibility)

    async def find_sent(self, item: OutboxItem) -> Mention | None:
        since = item.created_at - RECONCILE_MARGIN
        max_id: str | None = None
        try:
            for _ in range(RECONCILE_PAGES):
                answer = await self._api.account_statuses(self._account.user_id, max_id=max_id)
                statuses = answer.body if isinstance(answer.body, list) else []
                for status in statuses:
                    if isinstance(status, dict) and self._is_reply_of(status, item):
                        text = html_to_text(str(status.get("content") or ""))
                        return self._as_mention(item, status, text, status.get("visibility"))
                oldest = _oldest(statuses)
                if oldest is None or oldest[1] < since:
                    return None
                max_id = oldest[0]
        except MastodonApiError as error:
            raise delivery_error(error, retried=RETRIED_STATUSES) from None
        return None

    async def _audience(self, item: OutboxItem) -> tuple[str, str | None]:
        """The visibility of the reply and whom it addresses, from the status it answers."""
        if item.kind is OutboxKind.DIRECT_MESSAGE:
            if not item.reply_to_handle:
                raise DeliveryError("a direct message needs the customer's @acct", permanent=True)
            return "direct", item.reply_to_handle
        if item.in_reply_to is None:
            return "public", item.reply_to_handle
        try:
            answer = await self._api.status(item.in_reply_to)
        except PermanentApiError as error:
            if error.status == 404:
                raise DeliveryError(
                    "the status replied to was deleted or is no longer visible", permanent=True
                ) from None
            raise
        parent = answer.body if isinstance(answer.body, dict) else {}
        visibility = REPLY_VISIBILITY.get(str(parent.get("visibility")), "direct")
        handle = item.reply_to_handle
        account = parent.get("account")
        if handle is None and isinstance(account, dict) and isinstance(account.get("acct"), str):
            handle = account["acct"]
        if isinstance(account, dict) and account.get("id") == self._account.user_id:
            handle = item.reply_to_handle  # answering our own status: address the customer only
        return visibility, handle

    def _is_reply_of(self, status: dict[str, Any], item: OutboxItem) -> bool:
        if status.get("in_reply_to_id") != item.in_reply_to:
            return False
        text = html_to_text(str(status.get("content") or ""))
        wanted = comparable(item.body)
        return comparable(text).endswith(wanted) and bool(wanted)

    def _as_mention(
        self, item: OutboxItem, status: dict[str, Any], text: str, visibility: Any
    ) -> Mention:
        url = status.get("url") if isinstance(status.get("url"), str) else None
        return Mention(
            network=Network.MASTODON,
            external_id=str(status["id"]),
            author=Author(external_id=self._account.user_id, handle=self._account.handle),
            text=text,
            created_at=self._clock(),
            direction=Direction.OUTBOUND,
            # The thread's key, so that the message lands on its thread at once.
            conversation_key=item.thread_key,
            in_reply_to=item.in_reply_to,
            url=url,
            raw={
                "status": status,
                "outbox_item": item.id,
                "visibility": visibility,
                "private": visibility == "direct",
            },
            automated=item.kind is OutboxKind.ACKNOWLEDGEMENT,
        )


def _oldest(statuses: list[Any]) -> tuple[str, datetime] | None:
    """The id and time of the oldest status on a page (pages come newest first)."""
    found: tuple[str, datetime] | None = None
    for status in statuses:
        if not isinstance(status, dict) or not isinstance(status.get("id"), str):
            continue
        try:
            created = datetime.fromisoformat(str(status.get("created_at")).replace("Z", "+00:00"))
        except ValueError:
            continue
        if created.tzinfo is None:
            continue
        if found is None or id_order(status["id"]) < id_order(found[0]):
            found = (status["id"], created)
    return found
