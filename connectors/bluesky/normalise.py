"""Bluesky notifications and post views into mentions.

A notification (`app.bsky.notification.listNotifications`) carries the post that caused it
in `record`, its address in `uri`, its author and `indexedAt`. A post view (from
`app.bsky.feed.getPostThread`) carries the same under other names. Either becomes a mention
whose id is the post's AT-URI; a reply's conversation is its thread root (`reply.root.uri`)
and it answers `reply.parent.uri`. A malformed one raises here and is quarantined by the
caller with the reason; nothing here trusts the network's text.

Media: a post view carries its embed as the AppView renders it (`app.bsky.embed.images#view`
with `fullsize` and `thumb` addresses, `#external` link cards, `#video`, and
`recordWithMedia#view` around one of them); a notification carries only the record, whose
images are blobs of the author's repository: their addresses are the ones the AppView gives
them, on Bluesky's image CDN (`cdn.bsky.app/img/feed_fullsize/plain/<did>/<cid>@jpeg`). A
quoted post (`embed.record`) is a post, not media: it carries none here.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from inbox.domain.media import MediaAttachment, MediaKind, attachment, kept
from inbox.domain.mention import Author, Mention
from inbox.domain.network import Network

# Notification reasons whose record is a post that may need an answer.
POST_REASONS = frozenset({"mention", "reply", "quote"})
POST_URI = r"^at://[^\s/]+/app\.bsky\.feed\.post/[^\s/]+$"
DID = r"^did:[a-z]+:[A-Za-z0-9._:%-]+$"
# Content ids of blobs: CIDv1 in base32, as every repository writes them.
BLOB_CID = re.compile(r"^b[a-z2-7]{20,200}$")
IMAGE_CDN = "https://cdn.bsky.app/img"
VIDEO_CDN = "https://video.bsky.app/watch"
_IMAGES, _EXTERNAL, _VIDEO, _WITH_MEDIA = (
    "app.bsky.embed.images",
    "app.bsky.embed.external",
    "app.bsky.embed.video",
    "app.bsky.embed.recordWithMedia",
)
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
    url = post_url(parsed.uri, parsed.author.handle)
    media = record_media(parsed.record.get("embed"), parsed.author.did, url)
    return _mention(
        parsed.uri, parsed.author, parsed.record, parsed.indexed_at, {"notification": item}, media
    )


def post_view_mention(view: dict[str, Any]) -> Mention:
    """A post view (a thread's ancestor) as a mention; ValidationError if malformed."""
    parsed = PostView.model_validate(view)
    url = post_url(parsed.uri, parsed.author.handle)
    embed = view.get("embed")
    media = (
        view_media(embed, url)
        if embed is not None
        else record_media(parsed.record.get("embed"), parsed.author.did, url)
    )
    return _mention(
        parsed.uri, parsed.author, parsed.record, parsed.indexed_at, {"post": view}, media
    )


def view_media(embed: Any, page_url: str) -> tuple[MediaAttachment, ...]:
    """A post view's `embed` as attachments (the AppView gives every address)."""
    if not isinstance(embed, dict):
        return ()
    kind = embed.get("$type")
    if kind == f"{_WITH_MEDIA}#view":
        return view_media(embed.get("media"), page_url)
    if kind == f"{_IMAGES}#view" and isinstance(embed.get("images"), list):
        return kept(
            attachment(
                MediaKind.IMAGE,
                image.get("fullsize"),
                preview_url=image.get("thumb"),
                alt_text=image.get("alt"),
                **_aspect(image),
            )
            for image in embed["images"]
            if isinstance(image, dict)
        )
    if kind == f"{_EXTERNAL}#view" and isinstance(embed.get("external"), dict):
        card = embed["external"]
        return kept(
            [
                attachment(
                    MediaKind.LINK,
                    card.get("uri"),
                    preview_url=card.get("thumb"),
                    alt_text=card.get("title"),
                )
            ]
        )
    if kind == f"{_VIDEO}#view":
        return kept(
            [
                attachment(
                    MediaKind.VIDEO,
                    page_url,
                    preview_url=embed.get("thumbnail"),
                    alt_text=embed.get("alt"),
                    **_aspect(embed),
                )
            ]
        )
    return ()


def record_media(embed: Any, did: str, page_url: str) -> tuple[MediaAttachment, ...]:
    """A post record's `embed` as attachments, its blobs at the addresses Bluesky's CDN
    serves them from."""
    if not isinstance(embed, dict):
        return ()
    kind = embed.get("$type")
    if kind == _WITH_MEDIA:
        return record_media(embed.get("media"), did, page_url)
    if kind == _IMAGES and isinstance(embed.get("images"), list):
        return kept(
            _record_image(image, did) for image in embed["images"] if isinstance(image, dict)
        )
    if kind == _EXTERNAL and isinstance(embed.get("external"), dict):
        card = embed["external"]
        thumb = _blob_cid(card.get("thumb"))
        return kept(
            [
                attachment(
                    MediaKind.LINK,
                    card.get("uri"),
                    preview_url=thumb and f"{IMAGE_CDN}/feed_thumbnail/plain/{did}/{thumb}@jpeg",
                    alt_text=card.get("title"),
                )
            ]
        )
    if kind == _VIDEO:
        video = _blob_cid(embed.get("video"))
        return kept(
            [
                attachment(
                    MediaKind.VIDEO,
                    page_url,
                    preview_url=video and f"{VIDEO_CDN}/{did}/{video}/thumbnail.jpg",
                    alt_text=embed.get("alt"),
                    **_aspect(embed),
                )
            ]
        )
    return ()


def _record_image(image: dict[str, Any], did: str) -> MediaAttachment | None:
    cid = _blob_cid(image.get("image"))
    if cid is None:
        return None
    return attachment(
        MediaKind.IMAGE,
        f"{IMAGE_CDN}/feed_fullsize/plain/{did}/{cid}@jpeg",
        preview_url=f"{IMAGE_CDN}/feed_thumbnail/plain/{did}/{cid}@jpeg",
        alt_text=image.get("alt"),
        **_aspect(image),
    )


def _blob_cid(blob: Any) -> str | None:
    """The content id of a blob (`{"$type": "blob", "ref": {"$link": cid}}`, or the older
    `{"cid": cid}`), when it is one."""
    if not isinstance(blob, dict):
        return None
    ref = blob.get("ref")
    cid = ref.get("$link") if isinstance(ref, dict) else blob.get("cid")
    return cid if isinstance(cid, str) and BLOB_CID.match(cid) else None


def _aspect(item: dict[str, Any]) -> dict[str, Any]:
    """`aspectRatio`: the picture's proportions, often its size in pixels."""
    ratio = item.get("aspectRatio")
    if not isinstance(ratio, dict):
        return {}
    return {"width": ratio.get("width"), "height": ratio.get("height")}


def _mention(
    uri: str,
    author: Actor,
    record: dict[str, Any],
    indexed_at: datetime,
    raw: dict[str, Any],
    media: tuple[MediaAttachment, ...],
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
        media=media,
    )


def deleted_ancestor(body: Any) -> str | None:
    """The AT-URI of the post where a getPostThread answer's chain of parents ends on a
    `notFoundPost`: a post its author deleted (a blocked one is a `blockedPost`)."""
    node = body.get("thread") if isinstance(body, dict) else None
    while isinstance(node, dict):
        if node.get("notFound") is True or node.get("$type") == "app.bsky.feed.defs#notFoundPost":
            uri = node.get("uri")
            return uri if isinstance(uri, str) and uri.startswith("at://") else None
        node = node.get("parent")
    return None


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
