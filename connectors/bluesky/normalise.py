"""Bluesky notifications and post views into mentions.

A notification (`app.bsky.notification.listNotifications`) carries the post that caused it
in `record`, its address in `uri`, its author and `indexedAt`. A post view (from
`app.bsky.feed.getPostThread`) carries the same under other names. Either becomes a mention
whose id is the post's AT-URI; a reply's conversation is its thread root (`reply.root.uri`)
and it answers `reply.parent.uri`. A malformed one raises here and is quarantined by the
caller with the reason; nothing here trusts the network's text.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from inbox.domain.mention import Author, Mention
from inbox.domain.network import Network

# Notification reasons whose record is a post that may need an answer.
POST_REASONS = frozenset({"mention", "reply", "quote"})
POST_URI = r"^at://[^\s/]+/app\.bsky\.feed\.post/[^\s/]+$"
DID = r"^did:[a-z]+:[A-Za-z0-9._:%-]+$"
# createdAt is what the author's client claims; a post indexed later than this is judged by
# when the network saw it (backdated imports, wrong clocks), and so is one from the future.
MAX_INDEXING_DELAY = timedelta(minutes=10)


class _StrongRef(BaseModel):
    model_config = ConfigDict(extra="ignore")

    uri: str = Field(pattern=POST_URI, max_length=256)
    cid: str = Field(min_length=1, max_length=256)


class _ReplyRef(BaseModel):
    model_config = ConfigDict(extra="ignore")

    root: _StrongRef
    parent: _StrongRef


class PostRecord(BaseModel):
    """An `app.bsky.feed.post` record: `text` and `createdAt` are required by the lexicon."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    type: Literal["app.bsky.feed.post"] = Field(alias="$type")
    text: str
    created_at: AwareDatetime = Field(alias="createdAt")
    reply: _ReplyRef | None = None
    langs: list[str] = Field(default_factory=list)


class Actor(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    did: str = Field(pattern=DID, max_length=256)
    handle: str = Field(min_length=1, max_length=253)
    display_name: str | None = Field(default=None, alias="displayName")


class Notification(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    uri: str = Field(min_length=1, max_length=256)
    cid: str = Field(min_length=1, max_length=256)
    author: Actor
    reason: str
    record: dict[str, Any]
    indexed_at: AwareDatetime = Field(alias="indexedAt")


class PostView(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    uri: str = Field(pattern=POST_URI, max_length=256)
    cid: str = Field(min_length=1, max_length=256)
    author: Actor
    record: dict[str, Any]
    indexed_at: AwareDatetime = Field(alias="indexedAt")


class _PostNotification(Notification):
    uri: str = Field(pattern=POST_URI, max_length=256)


def encode(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode(
        "utf-8", "surrogatepass"
    )


def describe(error: ValidationError, what: str) -> str:
    parts = []
    for item in error.errors(include_url=False, include_input=False)[:3]:
        where = ".".join(str(p) for p in item["loc"]) or what
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def record_key(uri: str) -> str:
    return uri.rsplit("/", 1)[-1]


def post_url(uri: str, handle: str | None) -> str:
    """The post's page on bsky.app (by handle when known, else by the DID in the URI)."""
    profile = handle or uri.removeprefix("at://").split("/", 1)[0]
    return f"https://bsky.app/profile/{profile}/post/{record_key(uri)}"


def posted_at(declared: datetime, indexed: datetime) -> datetime:
    # A difference, not `indexed - MAX_INDEXING_DELAY`: that overflows for an indexedAt in
    # the first minutes of year 1, and a hostile service may send one.
    if declared <= indexed and indexed - declared <= MAX_INDEXING_DELAY:
        return declared
    return indexed


def is_post_notification(item: dict[str, Any]) -> bool:
    return item.get("reason") in POST_REASONS


def notification_mention(item: dict[str, Any]) -> Mention:
    """A mention, reply or quote notification as a mention; ValidationError if malformed."""
    parsed = _PostNotification.model_validate(item)
    return _mention(
        parsed.uri, parsed.author, parsed.record, parsed.indexed_at, {"notification": item}
    )


def post_view_mention(view: dict[str, Any]) -> Mention:
    """A post view (a thread's ancestor) as a mention; ValidationError if malformed."""
    parsed = PostView.model_validate(view)
    return _mention(parsed.uri, parsed.author, parsed.record, parsed.indexed_at, {"post": view})


def _mention(
    uri: str, author: Actor, record: dict[str, Any], indexed_at: datetime, raw: dict[str, Any]
) -> Mention:
    post = PostRecord.model_validate(record)
    language = post.langs[0] if post.langs and 0 < len(post.langs[0]) <= 35 else None
    return Mention(
        network=Network.BLUESKY,
        external_id=uri,
        author=Author(
            external_id=author.did, handle=author.handle, display_name=author.display_name
        ),
        text=post.text,
        created_at=posted_at(post.created_at, indexed_at),
        conversation_key=post.reply.root.uri if post.reply else uri,
        in_reply_to=post.reply.parent.uri if post.reply else None,
        language=language,
        url=post_url(uri, author.handle),
        raw=raw,
    )


def thread_ancestors(body: Any) -> tuple[list[dict[str, Any]], str | None]:
    """The post views of a getPostThread answer from its post up to the root, and why the
    chain stopped early (a deleted or blocked ancestor), if it did."""
    node = body.get("thread") if isinstance(body, dict) else None
    views: list[dict[str, Any]] = []
    while isinstance(node, dict):
        kind = node.get("$type")
        if node.get("notFound") is True or kind == "app.bsky.feed.defs#notFoundPost":
            return views, f"{node.get('uri')} was deleted or is not visible"
        if node.get("blocked") is True or kind == "app.bsky.feed.defs#blockedPost":
            return views, f"{node.get('uri')} is blocked"
        post = node.get("post")
        if not isinstance(post, dict):
            return views, "a thread entry without a post"
        views.append(post)
        node = node.get("parent")
    return views, None
