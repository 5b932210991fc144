"""The world a fake Bluesky serves: accounts, posts, notifications, sessions and faults.

Views follow the lexicons (`app.bsky.notification.listNotifications`,
`app.bsky.feed.getPostThread`, `app.bsky.feed.defs`, `app.bsky.feed.post`): every field they
require is there, in the shapes the reference AppView sends. Identifiers look like the real
ones (`did:plc:...`, `at://did/app.bsky.feed.post/<TID>`, `bafyrei...` CIDs) without being
derived the real way: clients must treat them as opaque, as they must with the network's.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import regex

from connectors.bluesky.fake.errors import XrpcError
from connectors.bluesky.fake.sessions import FakeSessions
from connectors.bluesky.record_key import encode_tid, is_tid
from connectors.common.fake_server import TimedRequest
from inbox.domain.clock import Clock, utc_now

POST = "app.bsky.feed.post"
MAX_GRAPHEMES = 300
MAX_BYTES = 3000
_GRAPHEMES = regex.compile(r"\X")
_MENTION = regex.compile(r"(?<![\w@])@([a-zA-Z0-9.-]+[a-zA-Z0-9])")
BREAKAGES = ("missing_text", "missing_indexed_at", "bad_author", "not_a_post", "not_an_object")


def timestamp(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _base32(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").lower().rstrip("=")


def fake_cid(content: Any) -> str:
    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).digest()
    return "bafyrei" + _base32(digest)[:52]


@dataclass(slots=True)
class FakeAccount:
    did: str
    handle: str
    display_name: str | None
    app_password: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class FakeImage:
    """A picture attached to a post: stored as a blob of the author's repository, served by
    the AppView at Bluesky's image CDN."""

    alt: str = ""
    width: int = 1200
    height: int = 800
    mime_type: str = "image/jpeg"
    size: int = 48_000


@dataclass(frozen=True, slots=True)
class FakeLinkCard:
    """A link card (`app.bsky.embed.external`)."""

    uri: str
    title: str
    description: str = ""


IMAGE_CDN = "https://cdn.bsky.app/img"


@dataclass(slots=True)
class FakePost:
    uri: str
    cid: str
    author: str
    record: dict[str, Any]
    indexed_at: datetime
    deleted: bool = False

    @property
    def rkey(self) -> str:
        return self.uri.rsplit("/", 1)[-1]

    def ref(self) -> dict[str, str]:
        return {"uri": self.uri, "cid": self.cid}


@dataclass(slots=True)
class FakeNotification:
    seq: int
    recipient: str
    reason: str
    post_uri: str
    reason_subject: str | None
    indexed_at: datetime
    # How this notification is served broken (see BREAKAGES), if it is.
    broken: str | None = None


@dataclass(slots=True)
class Faults:
    """Answers the server gives instead of the real one, per endpoint (NSID)."""

    fail: dict[str, list[tuple[int, str, int]]] = field(default_factory=dict)
    rate_limited: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    not_json: Counter[str] = field(default_factory=Counter)
    hold_seconds: dict[str, float] = field(default_factory=dict)
    _releases: dict[str, asyncio.Event] = field(default_factory=dict)

    def hold(self, nsid: str, seconds: float) -> None:
        self.hold_seconds[nsid] = seconds
        if seconds <= 0:
            self.released(nsid).set()
        else:
            self._releases[nsid] = asyncio.Event()

    def released(self, nsid: str) -> asyncio.Event:
        return self._releases.setdefault(nsid, asyncio.Event())

    def release_all(self) -> None:
        self.hold_seconds.clear()
        for event in self._releases.values():
            event.set()


class FakeBluesky:
    def __init__(
        self,
        *,
        clock: Clock = utc_now,
        access_ttl: timedelta = timedelta(hours=2),
        refresh_ttl: timedelta = timedelta(days=60),
        rate_limit: int = 3000,
        rate_window: timedelta = timedelta(minutes=5),
    ) -> None:
        self.clock = clock
        self.sessions = FakeSessions(clock, access_ttl=access_ttl, refresh_ttl=refresh_ttl)
        self.accounts: dict[str, FakeAccount] = {}
        self._dids_by_handle: dict[str, str] = {}
        self.posts: dict[str, FakePost] = {}
        self.notifications: list[FakeNotification] = []
        # Posts made through createRecord (by the connector), in order.
        self.posted: list[FakePost] = []
        self.requests: Counter[str] = Counter()
        self.timed_requests: list[TimedRequest] = []
        self.faults = Faults()
        self.rate_limit = rate_limit
        self.rate_window = rate_window
        self._windows: dict[str, tuple[datetime, int]] = {}
        self._last_instant: datetime | None = None
        self._clock_ids = 0

    # -- accounts and posts -------------------------------------------------------------

    def add_account(
        self, handle: str, display_name: str | None = None, *, app_password: str | None = None
    ) -> str:
        did = "did:plc:" + _base32(hashlib.sha256(handle.encode()).digest())[:24]
        self.accounts[did] = FakeAccount(did, handle, display_name, app_password, self._now())
        self._dids_by_handle[handle.lower()] = did
        return did

    def did_of(self, actor: str) -> str:
        did = actor if actor in self.accounts else self._dids_by_handle.get(actor.lower())
        if did is None:
            raise KeyError(f"no account {actor!r}")
        return did

    def post(
        self,
        author: str,
        text: str,
        *,
        reply_to: str | None = None,
        quote: str | None = None,
        langs: Sequence[str] = ("en",),
        created_at: datetime | None = None,
        images: Sequence[FakeImage] = (),
        link: FakeLinkCard | None = None,
    ) -> str:
        """A post by `author` (DID or handle), as a client makes it: @handles of known
        accounts become mention facets, a reply names its parent and root, pictures are
        blobs in an images embed (beside a quote: recordWithMedia). Its URI."""
        did = self.did_of(author)
        record: dict[str, Any] = {
            "$type": POST,
            "text": text,
            "createdAt": timestamp(created_at or self._now()),
            "langs": list(langs),
        }
        if reply_to is not None:
            parent = self.posts[reply_to]
            reply = parent.record.get("reply")
            root = reply["root"] if isinstance(reply, dict) else parent.ref()
            record["reply"] = {"root": dict(root), "parent": parent.ref()}
        media = _media_embed(images, link, seed=f"{did}{text}{len(self.posts)}")
        if quote is not None:
            quoted = {"$type": "app.bsky.embed.record", "record": self.posts[quote].ref()}
            record["embed"] = quoted
            if media is not None:
                record["embed"] = {
                    "$type": "app.bsky.embed.recordWithMedia",
                    "record": quoted,
                    "media": media,
                }
        elif media is not None:
            record["embed"] = media
        facets = self._mention_facets(text)
        if facets:
            record["facets"] = facets
        return self.store(did, record).uri

    def _mention_facets(self, text: str) -> list[dict[str, Any]]:
        facets = []
        for match in _MENTION.finditer(text):
            did = self._dids_by_handle.get(match.group(1).lower())
            if did is None:
                continue
            start = len(text[: match.start()].encode())
            end = start + len(match.group(0).encode())
            facets.append(
                {
                    "index": {"byteStart": start, "byteEnd": end},
                    "features": [{"$type": "app.bsky.richtext.facet#mention", "did": did}],
                }
            )
        return facets

    def store(self, did: str, record: dict[str, Any], rkey: str | None = None) -> FakePost:
        indexed_at = self._now()
        if rkey is None:
            self._clock_ids = (self._clock_ids + 1) % 1024
            rkey = encode_tid(int(indexed_at.timestamp() * 1_000_000), self._clock_ids)
        uri = f"at://{did}/{POST}/{rkey}"
        post = FakePost(uri, fake_cid({"uri": uri, **record}), did, record, indexed_at)
        self.posts[uri] = post
        self._notify(post)
        return post

    def delete(self, uri: str) -> None:
        self.posts[uri].deleted = True

    def break_notification(self, post_uri: str, how: str) -> None:
        """Serve the notifications of this post broken from now on (see BREAKAGES)."""
        if how not in BREAKAGES:
            raise ValueError(f"unknown breakage {how!r}; one of {BREAKAGES}")
        for notification in self.notifications:
            if notification.post_uri == post_uri:
                notification.broken = how

    def _notify(self, post: FakePost) -> None:
        reasons: dict[str, tuple[str, str | None]] = {}
        reply = post.record.get("reply")
        if isinstance(reply, dict):
            for ref in (reply["parent"], reply["root"]):
                target = self.posts.get(ref["uri"])
                if target is not None:
                    reasons.setdefault(target.author, ("reply", ref["uri"]))
        embed = post.record.get("embed")
        if isinstance(embed, dict) and embed.get("$type") == "app.bsky.embed.recordWithMedia":
            embed = embed["record"]
        if isinstance(embed, dict) and embed.get("$type") == "app.bsky.embed.record":
            quoted = self.posts.get(embed["record"]["uri"])
            if quoted is not None:
                reasons.setdefault(quoted.author, ("quote", quoted.uri))
        for facet in post.record.get("facets", []):
            for feature in facet.get("features", []):
                if feature.get("$type") == "app.bsky.richtext.facet#mention":
                    reasons.setdefault(feature["did"], ("mention", None))
        for recipient, (reason, subject) in reasons.items():
            if recipient == post.author or recipient not in self.accounts:
                continue
            self.notifications.append(
                FakeNotification(
                    len(self.notifications) + 1,
                    recipient,
                    reason,
                    post.uri,
                    subject,
                    post.indexed_at,
                )
            )

    def _now(self) -> datetime:
        """The clock, made strictly increasing at the millisecond (the wire's precision):
        every post has its own indexedAt, as on one AppView."""
        now = self.clock().replace(microsecond=self.clock().microsecond // 1000 * 1000)
        if self._last_instant is not None and now <= self._last_instant:
            now = self._last_instant + timedelta(milliseconds=1)
        self._last_instant = now
        return now

    # -- faults -------------------------------------------------------------------------

    def fail_next(
        self, nsid: str, status: int, count: int = 1, error: str = "InternalServerError"
    ) -> None:
        self.faults.fail.setdefault(nsid, []).append((status, error, count))

    def rate_limit_storm(self, nsid: str, count: int, reset_after_seconds: float) -> None:
        """The next `count` calls to `nsid` answer 429, each with a reset that far ahead."""
        self.faults.rate_limited.setdefault(nsid, []).append((count, reset_after_seconds))

    def not_json_next(self, nsid: str, count: int = 1) -> None:
        self.faults.not_json[nsid] += count

    def hold_answer(self, nsid: str, seconds: float) -> None:
        """Do the work of each call at once, but hold its answer this long (0: no longer,
        and answers held now go out)."""
        self.faults.hold(nsid, seconds)

    def expire_access_tokens(self) -> int:
        return self.sessions.expire_access_tokens()

    # -- rate limits --------------------------------------------------------------------

    def spend(self, caller: str) -> tuple[int, int, datetime]:
        """(limit, remaining, reset) of the caller's window after this request."""
        now = self.clock()
        start, used = self._windows.get(caller, (now, 0))
        if now >= start + self.rate_window:
            start, used = now, 0
        used += 1
        self._windows[caller] = (start, used)
        return self.rate_limit, max(self.rate_limit - used, 0), start + self.rate_window

    # -- XRPC methods -------------------------------------------------------------------

    def create_session(self, body: Any) -> dict[str, Any]:
        identifier = body.get("identifier") if isinstance(body, dict) else None
        password = body.get("password") if isinstance(body, dict) else None
        if not isinstance(identifier, str) or not isinstance(password, str):
            raise XrpcError(400, "InvalidRequest", 'Input must have the property "identifier"')
        try:
            account = self.accounts[self.did_of(identifier)]
        except KeyError:
            raise XrpcError(
                401, "AuthenticationRequired", "Invalid identifier or password"
            ) from None
        if account.app_password is None or password != account.app_password:
            raise XrpcError(401, "AuthenticationRequired", "Invalid identifier or password")
        access, refresh = self.sessions.open(account.did)
        return self._session_view(account, access, refresh)

    def refresh_session(self, refresh_token: str | None) -> dict[str, Any]:
        did, access, refresh = self.sessions.refresh(refresh_token)
        return self._session_view(self.accounts[did], access, refresh)

    def _session_view(self, account: FakeAccount, access: str, refresh: str) -> dict[str, Any]:
        return {
            "did": account.did,
            "handle": account.handle,
            "accessJwt": access,
            "refreshJwt": refresh,
            "active": True,
            "didDoc": {
                "@context": ["https://www.w3.org/ns/did/v1"],
                "id": account.did,
                "alsoKnownAs": [f"at://{account.handle}"],
            },
        }

    def list_notifications(
        self, caller: str, *, limit: int, cursor: str | None, reasons: Sequence[str]
    ) -> dict[str, Any]:
        if not 1 <= limit <= 100:
            raise XrpcError(400, "InvalidRequest", "limit must be between 1 and 100")
        before = None
        if cursor is not None:
            if not cursor.isdigit():
                raise XrpcError(400, "InvalidRequest", "Malformed cursor")
            before = int(cursor)
        mine = [
            n
            for n in reversed(self.notifications)
            if n.recipient == caller
            and (before is None or n.seq < before)
            and (not reasons or n.reason in reasons)
            and not self.posts[n.post_uri].deleted
        ]
        page = mine[:limit]
        answer: dict[str, Any] = {
            "notifications": [self._notification_view(n) for n in page],
            "priority": False,
        }
        if len(page) == limit:
            # Like the AppView: a full page has a cursor, even when nothing lies beyond it.
            answer["cursor"] = str(page[-1].seq)
        return answer

    def get_posts(self, uris: Sequence[str]) -> dict[str, Any]:
        """`app.bsky.feed.getPosts`: the views of the posts that exist, in the order asked;
        a deleted (or unknown) post is left out, without an error, as the AppView does."""
        if len(uris) > 25:
            raise XrpcError(400, "InvalidRequest", "uris must not have more than 25 elements")
        found = [self.posts.get(uri) for uri in dict.fromkeys(uris)]
        return {"posts": [self.post_view(post) for post in found if post and not post.deleted]}

    def post_thread(self, uri: str, *, depth: int, parent_height: int) -> dict[str, Any]:
        post = self.posts.get(uri)
        if post is None or post.deleted:
            raise XrpcError(400, "NotFound", f"Post not found: {uri}")
        return {"thread": self._thread_view(post, depth, parent_height)}

    def create_record(self, caller: str, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise XrpcError(400, "InvalidRequest", "Request body must be a JSON object")
        if body.get("repo") not in (caller, self.accounts[caller].handle):
            raise XrpcError(401, "AuthRequiredError", "Not authorized to write to this repo")
        if body.get("collection") != POST:
            raise XrpcError(400, "InvalidRequest", "This fake stores app.bsky.feed.post only")
        record = body.get("record")
        self._validate_post(record)
        assert isinstance(record, dict)
        rkey = body.get("rkey")
        if rkey is not None:
            if not isinstance(rkey, str) or not is_tid(rkey):
                raise XrpcError(400, "InvalidRequest", "Invalid record key: expected a TID")
            uri = f"at://{caller}/{POST}/{rkey}"
            if uri in self.posts:
                raise XrpcError(400, "InvalidRequest", f"Record already exists: {uri}")
        post = self.store(caller, record, rkey)
        self.posted.append(post)
        return {
            "uri": post.uri,
            "cid": post.cid,
            "commit": {"cid": fake_cid({"commit": post.uri}), "rev": post.rkey},
            "validationStatus": "valid",
        }

    def get_record(self, repo: str, collection: str, rkey: str) -> dict[str, Any]:
        try:
            did = self.did_of(repo)
        except KeyError:
            raise XrpcError(400, "InvalidRequest", f"Could not find repo: {repo}") from None
        uri = f"at://{did}/{collection}/{rkey}"
        post = self.posts.get(uri)
        if post is None or post.deleted:
            raise XrpcError(400, "RecordNotFound", f"Could not locate record: {uri}")
        return {"uri": post.uri, "cid": post.cid, "value": post.record}

    # -- validation ---------------------------------------------------------------------

    def _validate_post(self, record: Any) -> None:
        def refuse(problem: str) -> XrpcError:
            return XrpcError(400, "InvalidRequest", f"Invalid app.bsky.feed.post record: {problem}")

        if not isinstance(record, dict) or record.get("$type") != POST:
            raise refuse("Record/$type must be app.bsky.feed.post")
        text = record.get("text")
        if not isinstance(text, str):
            raise refuse('Record must have the property "text"')
        if len(_GRAPHEMES.findall(text)) > MAX_GRAPHEMES or len(text.encode()) > MAX_BYTES:
            raise refuse(f"Record/text must not be longer than {MAX_GRAPHEMES} graphemes")
        if not isinstance(record.get("createdAt"), str):
            raise refuse('Record must have the property "createdAt"')
        reply = record.get("reply")
        if reply is not None:
            for side in ("root", "parent"):
                ref = reply.get(side) if isinstance(reply, dict) else None
                if not isinstance(ref, dict) or not all(
                    isinstance(ref.get(k), str) for k in ("uri", "cid")
                ):
                    raise refuse(f"Record/reply/{side} must be a strongRef (uri, cid)")
                known = self.posts.get(ref["uri"])
                if known is None or known.cid != ref["cid"]:
                    raise refuse(f"Record/reply/{side} names no post with that cid")
        encoded = text.encode()
        for number, facet in enumerate(record.get("facets", [])):
            index = facet.get("index", {}) if isinstance(facet, dict) else {}
            start, end = index.get("byteStart"), index.get("byteEnd")
            if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end):
                raise refuse(f"Record/facets/{number}/index is not a byte slice")
            try:
                encoded[start:end].decode()
            except UnicodeDecodeError:
                raise refuse(f"Record/facets/{number} cuts a character") from None
            if end > len(encoded):
                raise refuse(f"Record/facets/{number} ends after the text")

    # -- views --------------------------------------------------------------------------

    def _profile(self, did: str, *, basic: bool) -> dict[str, Any]:
        account = self.accounts[did]
        view: dict[str, Any] = {
            "did": did,
            "handle": account.handle,
            "labels": [],
            "viewer": {"muted": False, "blockedBy": False},
            "createdAt": timestamp(account.created_at),
        }
        if account.display_name is not None:
            view["displayName"] = account.display_name
        if not basic:
            view["indexedAt"] = timestamp(account.created_at)
        return view

    def post_view(self, post: FakePost) -> dict[str, Any]:
        replies = sum(
            1
            for other in self.posts.values()
            if not other.deleted
            and isinstance(other.record.get("reply"), dict)
            and other.record["reply"]["parent"]["uri"] == post.uri
        )
        view: dict[str, Any] = {
            "uri": post.uri,
            "cid": post.cid,
            "author": self._profile(post.author, basic=True),
            "record": post.record,
            "replyCount": replies,
            "repostCount": 0,
            "likeCount": 0,
            "quoteCount": 0,
            "indexedAt": timestamp(post.indexed_at),
            "viewer": {"threadMuted": False, "embeddingDisabled": False},
            "labels": [],
        }
        embed = self._embed_view(post.author, post.record.get("embed"))
        if embed is not None:
            view["embed"] = embed
        return view

    def _embed_view(self, did: str, embed: Any) -> dict[str, Any] | None:
        """An embed as the AppView renders it: pictures at the CDN, a quoted post as a
        viewRecord; a plain quote is left out, as the fake always did."""
        if not isinstance(embed, dict):
            return None
        kind = embed.get("$type")
        if kind == "app.bsky.embed.images":
            return {
                "$type": "app.bsky.embed.images#view",
                "images": [
                    {
                        "thumb": f"{IMAGE_CDN}/feed_thumbnail/plain/{did}/{cid}@jpeg",
                        "fullsize": f"{IMAGE_CDN}/feed_fullsize/plain/{did}/{cid}@jpeg",
                        "alt": image["alt"],
                        "aspectRatio": image["aspectRatio"],
                    }
                    for image in embed["images"]
                    for cid in (image["image"]["ref"]["$link"],)
                ],
            }
        if kind == "app.bsky.embed.external":
            return {"$type": "app.bsky.embed.external#view", "external": dict(embed["external"])}
        if kind == "app.bsky.embed.recordWithMedia":
            quoted = self.posts.get(embed["record"]["record"]["uri"])
            record: dict[str, Any] = {"$type": "app.bsky.embed.record#viewNotFound"}
            if quoted is not None:
                record = {
                    "$type": "app.bsky.embed.record#viewRecord",
                    "uri": quoted.uri,
                    "cid": quoted.cid,
                    "author": self._profile(quoted.author, basic=True),
                    "value": quoted.record,
                    "indexedAt": timestamp(quoted.indexed_at),
                }
            return {
                "$type": "app.bsky.embed.recordWithMedia#view",
                "record": {"record": record},
                "media": self._embed_view(did, embed["media"]),
            }
        return None

    def _thread_view(self, post: FakePost, depth: int, parent_height: int) -> dict[str, Any]:
        view: dict[str, Any] = {
            "$type": "app.bsky.feed.defs#threadViewPost",
            "post": self.post_view(post),
        }
        reply = post.record.get("reply")
        if parent_height > 0 and isinstance(reply, dict):
            parent_uri = reply["parent"]["uri"]
            parent = self.posts.get(parent_uri)
            if parent is None or parent.deleted:
                view["parent"] = {
                    "$type": "app.bsky.feed.defs#notFoundPost",
                    "uri": parent_uri,
                    "notFound": True,
                }
            else:
                view["parent"] = self._thread_view(parent, 0, parent_height - 1)
        if depth > 0:
            view["replies"] = [
                self._thread_view(other, depth - 1, 0)
                for other in self.posts.values()
                if not other.deleted
                and isinstance(other.record.get("reply"), dict)
                and other.record["reply"]["parent"]["uri"] == post.uri
            ]
        return view

    def _notification_view(self, notification: FakeNotification) -> Any:
        post = self.posts[notification.post_uri]
        view: dict[str, Any] = {
            "uri": post.uri,
            "cid": post.cid,
            "author": self._profile(post.author, basic=False),
            "reason": notification.reason,
            "record": post.record,
            "isRead": False,
            "indexedAt": timestamp(notification.indexed_at),
            "labels": [],
        }
        if notification.reason_subject is not None:
            view["reasonSubject"] = notification.reason_subject
        return _broken(view, notification.broken)


def _media_embed(
    images: Sequence[FakeImage], link: FakeLinkCard | None, *, seed: str
) -> dict[str, Any] | None:
    """The record's embed for its pictures (blobs) or its link card, if any."""
    if images:
        return {
            "$type": "app.bsky.embed.images",
            "images": [
                {
                    "alt": image.alt,
                    "image": {
                        "$type": "blob",
                        "ref": {"$link": _blob_cid(f"{seed}/{number}")},
                        "mimeType": image.mime_type,
                        "size": image.size,
                    },
                    "aspectRatio": {"width": image.width, "height": image.height},
                }
                for number, image in enumerate(images)
            ],
        }
    if link is not None:
        return {
            "$type": "app.bsky.embed.external",
            "external": {"uri": link.uri, "title": link.title, "description": link.description},
        }
    return None


def _blob_cid(seed: str) -> str:
    """A blob's content id as repositories write them (raw codec: `bafkrei...`)."""
    return "bafkrei" + _base32(hashlib.sha256(seed.encode()).digest())[:52]


def _broken(view: dict[str, Any], how: str | None) -> Any:
    if how is None:
        return view
    if how == "not_an_object":
        return [view["uri"]]
    broken = json.loads(json.dumps(view))
    if how == "missing_text":
        del broken["record"]["text"]
    elif how == "missing_indexed_at":
        del broken["indexedAt"]
    elif how == "bad_author":
        broken["author"] = {"handle": broken["author"]["handle"]}
    elif how == "not_a_post":
        broken["record"]["$type"] = "app.bsky.feed.like"
    return broken
