"""Meta Graph webhook notifications into mentions.

A notification is `{"object": "page" | "instagram", "entry": [{"id", "time", "changes":
[{"field", "value"}]}]}`; `entry.id` is the Page or the Instagram professional account it
concerns. The inbox reads:

- Page `feed` changes whose `item` is `comment` and `verb` is `add`: a comment on a Page post,
  or a reply to one. Each top-level comment starts a conversation (keyed by its id); a reply
  names its parent and joins the parent's conversation.
- Instagram `comments` (and `live_comments`): the same.
- Instagram `mentions`: the notification names only the comment (or the media, for a caption)
  that @mentions the account; its text and author are looked up on the Graph API, so these
  come back here as `MentionLookup`s.

Media: a Page comment's webhook value names an attached `photo` or `video` by its address;
a comment read from the Graph API carries an `attachment` (a photo, a sticker, a video, an
animation or a shared link, with `media.image` its picture). An Instagram caption found by
the mentions API carries its `media_type` and `media_url`. Each becomes the mention's
attachments; one that cannot be read is left out, never its comment.

Other well-formed changes (likes, reactions, edits, removals, posts) are counted as ignored.
A malformed change is rejected whole, with an error naming where it was and which field.
Nothing here raises on bad input.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from connectors.common.rejected import quarantined
from connectors.jsonl import unreadable_json
from inbox.domain.ingestion import RejectedPayload
from inbox.domain.media import MediaAttachment, MediaKind, attachment, kept
from inbox.domain.mention import Author, Direction, Mention
from inbox.domain.network import Network
from inbox.domain.payload_limits import UNFORESEEN, unforeseen

GraphId = str
INSTAGRAM_COMMENT_FIELDS = frozenset({"comments", "live_comments"})


class _Person(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, max_length=64)
    name: str | None = None
    username: str | None = None


class FeedComment(BaseModel):
    """The `value` of a Page `feed` change about a comment."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    item: Literal["comment"]
    verb: str
    comment_id: str = Field(min_length=1, max_length=128)
    post_id: str = Field(min_length=1, max_length=128)
    parent_id: str | None = Field(default=None, min_length=1, max_length=128)
    author: _Person = Field(alias="from")
    # A comment of only a photo or a sticker has no message.
    message: str = ""
    created_time: AwareDatetime


class _Media(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, max_length=64)


class InstagramComment(BaseModel):
    """The `value` of an Instagram `comments` change."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    id: str = Field(min_length=1, max_length=64)
    author: _Person = Field(alias="from")
    text: str = ""
    media: _Media | None = None
    parent_id: str | None = Field(default=None, min_length=1, max_length=64)


class InstagramMention(BaseModel):
    """The `value` of an Instagram `mentions` change: ids only."""

    model_config = ConfigDict(extra="ignore")

    media_id: str = Field(min_length=1, max_length=64)
    comment_id: str | None = Field(default=None, min_length=1, max_length=64)


class MentionedComment(BaseModel):
    """What the Graph API answers for a mentioned comment or a mentioning caption."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, max_length=64)
    text: str = ""
    caption: str = ""
    timestamp: AwareDatetime
    # Captions name their author; mentioned comments do not.
    username: str | None = Field(default=None, min_length=1, max_length=64)
    permalink: str | None = None


@dataclass(frozen=True, slots=True)
class MentionLookup:
    """An Instagram @mention whose text must be fetched: by comment, or by media (caption)."""

    instagram_id: GraphId
    media_id: str
    comment_id: str | None
    where: str
    raw: dict[str, Any]


@dataclass(slots=True)
class Notification:
    mentions: list[Mention] = field(default_factory=list)
    rejected: list[RejectedPayload] = field(default_factory=list)
    lookups: list[MentionLookup] = field(default_factory=list)
    ignored: int = 0


def describe(error: ValidationError, prefix: str = "value") -> str:
    parts = []
    for item in error.errors(include_url=False, include_input=False)[:3]:
        where = ".".join([prefix, *(str(p) for p in item["loc"])])
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def entry_time(entry: Mapping[str, Any]) -> datetime | None:
    """`entry.time`: seconds, though some Meta notifications count milliseconds; None when
    missing or beyond the dates that exist."""
    value = entry.get("time")
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        return None
    seconds = value / 1000 if value > 100_000_000_000 else value
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, ValueError, OSError):  # beyond the dates a clock can hold
        return None


# Graph's attachment types (StoryAttachment.type) by what the page shows of them.
_GRAPH_KINDS = {
    "photo": MediaKind.IMAGE,
    "sticker": MediaKind.IMAGE,
    "video_inline": MediaKind.VIDEO,
    "video_autoplay": MediaKind.VIDEO,
    "video": MediaKind.VIDEO,
    "animated_image_share": MediaKind.GIF,
    "animated_image_video": MediaKind.GIF,
    "animated_image_autoplay": MediaKind.GIF,
    "share": MediaKind.LINK,
}
# A carousel's media_url is its first picture.
_INSTAGRAM_KINDS = {
    "IMAGE": MediaKind.IMAGE,
    "CAROUSEL_ALBUM": MediaKind.IMAGE,
    "VIDEO": MediaKind.VIDEO,
}


def graph_attachment(found: Any) -> MediaAttachment | None:
    """A Graph `attachment` object: an image (or sticker) is its picture; anything else is
    a link to its page on Facebook, with its picture as the preview."""
    if not isinstance(found, dict):
        return None
    kind = _GRAPH_KINDS.get(str(found.get("type")), MediaKind.OTHER)
    media = found.get("media")
    image = media.get("image") if isinstance(media, dict) else None
    picture: Mapping[str, Any] = image if isinstance(image, dict) else {}
    target = found.get("target")
    page = found.get("url") or (target.get("url") if isinstance(target, dict) else None)
    size = {"width": picture.get("width"), "height": picture.get("height")}
    if kind is MediaKind.IMAGE:
        alt = found.get("description") or ("Sticker" if found.get("type") == "sticker" else None)
        return attachment(kind, picture.get("src"), alt_text=alt, **size)
    return attachment(
        kind, page, preview_url=picture.get("src"), alt_text=found.get("title"), **size
    )


def comment_media(value: Mapping[str, Any]) -> tuple[MediaAttachment, ...]:
    """What a Page comment carries: `photo` and `video` in a webhook value, `attachment` as
    the Graph API gives it."""
    return kept(
        [
            attachment(MediaKind.IMAGE, value.get("photo")),
            attachment(MediaKind.VIDEO, value.get("video")),
            graph_attachment(value.get("attachment")),
        ]
    )


def facebook_comment(value: Mapping[str, Any], page_id: str) -> Mention:
    """Raises ValidationError when the comment is malformed."""
    comment = FeedComment.model_validate(value)
    is_reply = comment.parent_id is not None and comment.parent_id != comment.post_id
    return Mention(
        network=Network.FACEBOOK,
        external_id=comment.comment_id,
        author=Author(external_id=comment.author.id, display_name=comment.author.name),
        text=comment.message,
        created_at=comment.created_time,
        direction=Direction.OUTBOUND if comment.author.id == page_id else Direction.INBOUND,
        # A reply follows its parent's thread (ingestion looks it up), whatever depth Meta
        # gives it; a top-level comment starts one.
        conversation_key=None if is_reply else comment.comment_id,
        in_reply_to=comment.parent_id if is_reply else None,
        url=f"https://www.facebook.com/{comment.comment_id}",
        raw={"object": "page", "entry_id": page_id, "field": "feed", "value": dict(value)},
        media=comment_media(value),
    )


def instagram_comment(
    value: Mapping[str, Any], instagram_id: str, received: datetime, field_name: str
) -> Mention:
    """Instagram sends no time with a comment: the notification's own time stands for it."""
    comment = InstagramComment.model_validate(value)
    ours = comment.author.id == instagram_id
    return Mention(
        network=Network.INSTAGRAM,
        external_id=comment.id,
        author=Author(external_id=comment.author.id, handle=comment.author.username),
        text=comment.text,
        created_at=received,
        direction=Direction.OUTBOUND if ours else Direction.INBOUND,
        conversation_key=None if comment.parent_id else comment.id,
        in_reply_to=comment.parent_id,
        raw={
            "object": "instagram",
            "entry_id": instagram_id,
            "field": field_name,
            "value": dict(value),
        },
    )


def _mention_author(found: MentionedComment) -> Author:
    if found.username:
        # Named by username only; the @ keeps it apart from the numeric Instagram-scoped ids
        # that comments carry.
        return Author(external_id=f"@{found.username}", handle=found.username)
    # The mentions API does not say who wrote a comment: an author of its own, not a guess.
    return Author(external_id=f"mention:{found.id}")


def looked_up_mention(lookup: MentionLookup, answer: Mapping[str, Any]) -> Mention:
    """The mention a lookup found; raises ValidationError when the answer lacks a field."""
    found = MentionedComment.model_validate(answer)
    media_kind = _INSTAGRAM_KINDS.get(str(answer.get("media_type")), MediaKind.OTHER)
    # A video's `media_url` is the file; the caption's page is where it plays.
    media_url = answer.get("media_url") if media_kind is MediaKind.IMAGE else found.permalink
    shown = attachment(media_kind, media_url) if "media_type" in answer else None
    return Mention(
        network=Network.INSTAGRAM,
        external_id=found.id,
        author=_mention_author(found),
        text=found.text or found.caption,
        created_at=found.timestamp,
        conversation_key=found.id,
        url=found.permalink,
        raw={**lookup.raw, "looked_up": dict(answer)},
        media=kept([shown]),
    )


def normalise_notification(body: bytes, *, source: str) -> Notification:
    """Every change of one Meta notification; the caller has checked its signature."""
    origin = f"meta:{source}"
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as exc:
        reason = f"body: {unreadable_json(body, exc)}"
        return Notification(rejected=[RejectedPayload(origin, body, reason)])
    try:
        return _normalise(document, origin)
    except Exception as exc:  # a shape no check foresaw must still not lose the body
        return Notification(rejected=[RejectedPayload(origin, body, f"unreadable: {exc!r}")])


def _normalise(document: Any, origin: str) -> Notification:
    if not isinstance(document, dict):
        return Notification(rejected=[quarantined(origin, document, "body: not a JSON object")])
    kind = document.get("object")
    entries = document.get("entry")
    if not isinstance(entries, list):
        return Notification(rejected=[quarantined(origin, document, "entry: expected a list")])
    if kind not in ("page", "instagram"):
        return Notification(ignored=len(entries))
    out = Notification()
    for position, entry in enumerate(entries):
        _entry(out, kind, entry, f"entry[{position}]", origin)
    return out


def _entry(out: Notification, kind: str, entry: Any, where: str, origin: str) -> None:
    account = entry.get("id") if isinstance(entry, dict) else None
    if not isinstance(account, str | int) or isinstance(account, bool) or not str(account):
        out.rejected.append(quarantined(origin, entry, f"{where}.id: missing"))
        return
    changes = entry.get("changes")
    if changes is None:
        # Messenger and other entries carry `messaging`, not `changes`: not read here.
        out.ignored += 1
        return
    if not isinstance(changes, list):
        reason = f"{where}.changes: expected a list"
        out.rejected.append(quarantined(origin, entry, reason))
        return
    received = entry_time(entry)
    for position, change in enumerate(changes):
        at = f"{where}.changes[{position}]"
        if not isinstance(change, dict) or not isinstance(change.get("value"), dict):
            reason = f"{at}: expected an object with a 'field' and an object 'value'"
            out.rejected.append(quarantined(origin, change, reason))
            continue
        _change(out, kind, str(account), received, change, at, origin)


def _change(
    out: Notification,
    kind: str,
    account: str,
    received: datetime | None,
    change: Mapping[str, Any],
    at: str,
    origin: str,
) -> None:
    name, value = change.get("field"), change["value"]
    raw = {"object": kind, "entry_id": account, "field": name, "value": value}
    try:
        if kind == "page" and name == "feed":
            if value.get("item") != "comment" or value.get("verb") != "add":
                out.ignored += 1
                return
            out.mentions.append(facebook_comment(value, account))
        elif kind == "instagram" and name in INSTAGRAM_COMMENT_FIELDS:
            if received is None:
                reason = (
                    f"{at}: the entry's 'time' is missing or out of range, and Instagram "
                    "sends no other"
                )
                out.rejected.append(quarantined(origin, raw, reason))
                return
            out.mentions.append(instagram_comment(value, account, received, str(name)))
        elif kind == "instagram" and name == "mentions":
            found = InstagramMention.model_validate(value)
            out.lookups.append(MentionLookup(account, found.media_id, found.comment_id, at, raw))
        else:
            out.ignored += 1
    except ValidationError as exc:
        out.rejected.append(quarantined(origin, raw, f"{at}{_named(value)}: {describe(exc)}"))
    except UNFORESEEN as exc:
        out.rejected.append(quarantined(origin, raw, f"{at}{_named(value)}: {unforeseen(exc)}"))


def _named(value: Mapping[str, Any]) -> str:
    label = value.get("comment_id") or value.get("id")
    return f" ({label[:64]})" if isinstance(label, str) else ""


def rejected_lookup(lookup: MentionLookup, origin: str, reason: str) -> RejectedPayload:
    what = f"comment {lookup.comment_id}" if lookup.comment_id else f"media {lookup.media_id}"
    return quarantined(origin, lookup.raw, f"{lookup.where} ({what}): {reason}")
