"""Mastodon notifications and statuses into mentions.

A page of `GET /api/v1/notifications?types[]=mention` is a JSON list of notifications, each
with its `status` (the post that mentions the account). Each becomes a mention; a malformed one
becomes a reject that keeps its payload and names the problem. A mention whose `status` is
null (deleted, or no longer visible to the account) holds nothing to answer: it is counted as
skipped, like a notification of another type from a server that ignored `types[]`.

Threading: Mastodon gives statuses no conversation id, so `conversation_key` stays empty and
threads follow `in_reply_to_id` (the poller fetches missing parents from the status context).
Privacy: visibility `direct` is a private mention (`Mention.private`); the raw payload keeps
`visibility` too.
Media: a status's `media_attachments` (image, gifv, video, audio; `unknown` when the instance
could not fetch a remote file) become the mention's attachments: the file, its preview, the
author's description and the original's size.
Nothing here raises on bad input.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from connectors.common.rejected import normalised_each, quarantined, validation_reason
from connectors.mastodon.html_text import html_to_text
from inbox.domain.ingestion import RejectedPayload
from inbox.domain.media import MediaAttachment, MediaKind, attachment, kept
from inbox.domain.mention import Author, Direction, Mention
from inbox.domain.network import Network
from inbox.domain.payload_limits import UNFORESEEN, unforeseen

_ID = r"^[A-Za-z0-9_-]{1,64}$"
_ID_PATTERN = re.compile(_ID)
Visibility = Literal["public", "unlisted", "private", "direct"]
PRIVATE_VISIBILITIES = frozenset({"direct"})


class MastodonUser(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(pattern=_ID)
    username: str = Field(min_length=1, max_length=256)
    # user for the instance's own accounts, user@domain for others: how to address them.
    acct: str = Field(min_length=1, max_length=512)
    display_name: str = ""
    followers_count: int | None = Field(default=None, ge=0)
    url: str | None = None


class MastodonStatus(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(pattern=_ID)
    created_at: AwareDatetime
    in_reply_to_id: str | None = Field(default=None, pattern=_ID)
    in_reply_to_account_id: str | None = None
    visibility: Visibility
    language: str | None = None
    uri: str | None = None
    url: str | None = None
    content: str
    spoiler_text: str = ""
    account: MastodonUser
    edited_at: AwareDatetime | None = None


class MastodonNotification(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(pattern=_ID)
    type: str
    created_at: AwareDatetime
    account: MastodonUser
    status: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class NormalisedPage:
    mentions: list[Mention]
    rejected: list[RejectedPayload]
    # Notifications without a status or of another type: nothing to store, nothing broken.
    skipped: int = 0
    # The newest notification id on the page (a cursor), rejects and skips included.
    newest_id: str | None = None


def id_order(value: str) -> tuple[int, str]:
    """Mastodon ids are numbers in strings; others' are sortable strings of one length."""
    return (len(value), value)


def newer(current: str | None, candidate: str | None) -> str | None:
    if candidate is None:
        return current
    if current is None or id_order(candidate) > id_order(current):
        return candidate
    return current


def _text(status: MastodonStatus) -> str:
    text = html_to_text(status.content)
    # A content warning is part of what the customer wrote, shown before the post.
    warning = status.spoiler_text.strip()
    return f"CW: {warning}\n\n{text}" if warning else text


_MASTODON_MEDIA_KINDS = {
    "image": MediaKind.IMAGE,
    "gifv": MediaKind.GIF,
    "video": MediaKind.VIDEO,
}


def status_media(found: Any) -> tuple[MediaAttachment, ...]:
    """A status's `media_attachments`, read as sent: one that cannot be kept is left out,
    never the status."""
    if not isinstance(found, list):
        return ()
    return kept(_attachment(item) for item in found if isinstance(item, dict))


def _attachment(item: dict[str, Any]) -> MediaAttachment | None:
    meta = item.get("meta")
    original = meta.get("original") if isinstance(meta, dict) else None
    size = original if isinstance(original, dict) else {}
    return attachment(
        _MASTODON_MEDIA_KINDS.get(str(item.get("type")), MediaKind.OTHER),
        # A remote file the instance has not copied has only the origin's address.
        item.get("url") or item.get("remote_url"),
        preview_url=item.get("preview_url"),
        alt_text=item.get("description"),
        width=size.get("width"),
        height=size.get("height"),
    )


def normalise_status(
    status: dict[str, Any], *, raw: dict[str, Any] | None = None, direction: Direction | None = None
) -> Mention:
    """One status object as a mention; raises ValidationError when it is malformed."""
    parsed = MastodonStatus.model_validate(status)
    account = parsed.account
    payload: dict[str, Any] = dict(raw) if raw is not None else {"status": status}
    payload["visibility"] = parsed.visibility
    payload["private"] = parsed.visibility in PRIVATE_VISIBILITIES
    return Mention(
        network=Network.MASTODON,
        external_id=parsed.id,
        author=Author(
            external_id=account.id,
            handle=account.acct,
            display_name=account.display_name or None,
            followers=account.followers_count,
        ),
        text=_text(parsed),
        created_at=parsed.created_at,
        direction=direction or Direction.INBOUND,
        in_reply_to=parsed.in_reply_to_id,
        language=parsed.language or None,
        url=parsed.url or parsed.uri,
        raw=payload,
        private=parsed.visibility in PRIVATE_VISIBILITIES,
        media=status_media(status.get("media_attachments")),
    )


@dataclass(frozen=True, slots=True)
class Normalised:
    """What one notification became: a mention, a reject, or nothing (skipped)."""

    mention: Mention | None
    rejected: RejectedPayload | None
    notification_id: str | None


def normalise_notification(notification: Any, *, source: str, label: str = "") -> Normalised:
    """One notification: a mention when it is a mention with a readable status."""
    where = f"notification {label}".strip()
    if not isinstance(notification, dict):
        kind = type(notification).__name__ if notification is not None else "null"
        error = f"{where}: a JSON {kind}, not an object"
        return Normalised(None, quarantined(source, notification, error), None)
    raw_id = notification.get("id")
    known_id = raw_id if isinstance(raw_id, str) and _valid_id(raw_id) else None
    where = f"notification {known_id or label}".strip()
    try:
        parsed = MastodonNotification.model_validate(notification)
    except ValidationError as exc:
        error = f"{where}: {validation_reason(exc, 'notification')}"
        return Normalised(None, quarantined(source, notification, error), known_id)
    except UNFORESEEN as exc:
        error = f"{where}: {unforeseen(exc)}"
        return Normalised(None, quarantined(source, notification, error), known_id)
    if parsed.type != "mention" or parsed.status is None:
        return Normalised(None, None, parsed.id)
    try:
        mention = normalise_status(parsed.status, raw={"notification": notification})
    except ValidationError as exc:
        error = f"{where}: status.{validation_reason(exc, 'status')}"
        return Normalised(None, quarantined(source, notification, error), parsed.id)
    except UNFORESEEN as exc:
        error = f"{where}: status: {unforeseen(exc)}"
        return Normalised(None, quarantined(source, notification, error), parsed.id)
    return Normalised(mention, None, parsed.id)


def _valid_id(value: str) -> bool:
    return _ID_PATTERN.match(value) is not None


def newest_notification_id(page: Sequence[Any]) -> str | None:
    """The newest id of a page of notifications, as `normalise_notifications` finds it, read
    from the ids alone: where the next page starts, known before the page is read."""
    newest: str | None = None
    for item in page:
        found = item.get("id") if isinstance(item, dict) else None
        if isinstance(found, str) and _valid_id(found):
            newest = newer(newest, found)
    return newest


def normalise_notifications(page: Any, *, source: str) -> NormalisedPage:
    """Every notification of one response page, as mentions, rejects and skips."""
    try:
        return _normalise_notifications(page, source)
    except Exception as exc:
        return NormalisedPage([], [quarantined(source, page, f"unreadable: {exc!r}")])


def _normalise_notifications(page: Any, source: str) -> NormalisedPage:
    if not isinstance(page, list):
        kind = type(page).__name__ if page is not None else "null"
        reason = f"a JSON {kind}, not a list of notifications"
        if isinstance(page, dict) and isinstance(page.get("error"), str):
            reason = f"an error instead of notifications: {page['error'][:200]}"
        return NormalisedPage([], [quarantined(source, page, reason)])
    mentions: list[Mention] = []
    rejected: list[RejectedPayload] = []
    skipped = 0
    newest: str | None = None
    for position, item in enumerate(page):
        result = normalise_notification(item, source=source, label=str(position))
        newest = newer(newest, result.notification_id)
        if result.mention is not None:
            mentions.append(result.mention)
        elif result.rejected is not None:
            rejected.append(result.rejected)
        else:
            skipped += 1
    return NormalisedPage(mentions, rejected, skipped, newest)


def normalise_statuses(statuses: Sequence[Any], *, source: str) -> NormalisedPage:
    """Statuses (a context's ancestors, an account's posts) as mentions and rejects."""
    mentions, rejected = normalised_each(statuses, normalise_status, source=source, kind="status")
    return NormalisedPage(mentions, rejected)
