"""What the fake Meta knows: a Page, its Instagram account, their comments and our replies.

It also writes the webhook notifications Meta would send about them, in Meta's shapes, so that
tests and benchmarks push exactly what the real sender pushes.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from inbox.domain.clock import Clock, utc_now
from inbox.domain.network import Network

FACEBOOK = Network.FACEBOOK
INSTAGRAM = Network.INSTAGRAM


def graph_time(at: datetime) -> str:
    """Graph's timestamps: `2024-05-01T09:30:00+0000`."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


@dataclass
class FakeComment:
    id: str
    network: Network
    # The Facebook post or Instagram media the comment is on.
    post_id: str
    # The top-level comment of its conversation (itself when it is one).
    top_level: str
    author_id: str
    author_name: str
    text: str
    created_at: datetime
    # An @mention of the brand on someone else's media (found by the mentions API only).
    mention: bool = False
    # What a Page comment carries: the address of its photo or its video, as Meta names it.
    photo: str | None = None
    video: str | None = None
    # A caption (the media itself, `id` its media id) rather than a comment: its media type
    # (IMAGE, VIDEO, CAROUSEL_ALBUM) and the address of its picture or video.
    caption: bool = False
    media_type: str | None = None
    media_url: str | None = None

    @property
    def is_reply(self) -> bool:
        return self.top_level != self.id


@dataclass
class FakeMeta:
    page_id: str = "104000000000001"
    page_name: str = "Acme Support"
    instagram_id: str = "17841400000000001"
    instagram_username: str = "acme_support"
    access_token: str = "fake-page-token"  # noqa: S105 (the fake's own, not a secret)
    clock: Clock = utc_now
    comments: dict[str, FakeComment] = field(default_factory=dict)
    # Replies posted through the Graph API, in order.
    posted: list[FakeComment] = field(default_factory=list)
    # Seconds the server waits, after taking a reply, before it answers (a crash window).
    hold_seconds: float = 0.0
    _numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1001))

    def _next(self) -> int:
        return next(self._numbers)

    def facebook_comment(
        self,
        author_id: str,
        author_name: str,
        text: str,
        *,
        reply_to: str | None = None,
        post_id: str | None = None,
        photo: str | None = None,
        video: str | None = None,
    ) -> FakeComment:
        """A comment on a Page post, or a reply to one of its comments; with a photo or a
        video (their addresses)."""
        parent = self.comments[reply_to] if reply_to else None
        post = parent.post_id if parent else (post_id or f"{self.page_id}_{self._next()}")
        number = self._next()
        comment_id = f"{post.split('_')[-1]}_{number}"
        comment = FakeComment(
            comment_id,
            FACEBOOK,
            post,
            parent.top_level if parent else comment_id,
            author_id,
            author_name,
            text,
            self.clock(),
            photo=photo,
            video=video,
        )
        self.comments[comment_id] = comment
        return comment

    def instagram_caption(
        self,
        author_id: str,
        username: str,
        caption: str,
        *,
        media_type: str = "IMAGE",
        media_url: str | None = None,
    ) -> FakeComment:
        """Someone's post whose caption @mentions the brand: the mentions API finds it by its
        media id."""
        media_id = f"1790000000{self._next()}"
        found = FakeComment(
            media_id,
            INSTAGRAM,
            media_id,
            media_id,
            author_id,
            username,
            caption,
            self.clock(),
            mention=True,
            caption=True,
            media_type=media_type,
            media_url=media_url,
        )
        self.comments[media_id] = found
        return found

    def instagram_comment(
        self,
        author_id: str,
        username: str,
        text: str,
        *,
        reply_to: str | None = None,
        media_id: str | None = None,
        mention: bool = False,
    ) -> FakeComment:
        parent = self.comments[reply_to] if reply_to else None
        media = parent.post_id if parent else (media_id or f"1790000000{self._next()}")
        comment_id = f"1800000000{self._next()}"
        comment = FakeComment(
            comment_id,
            INSTAGRAM,
            media,
            parent.top_level if parent else comment_id,
            author_id,
            username,
            text,
            self.clock(),
            mention=mention,
        )
        self.comments[comment_id] = comment
        return comment

    def reply(self, network: Network, target_id: str, text: str) -> FakeComment:
        """A reply posted as the brand through the API."""
        target = self.comments[target_id]
        author = (self.page_id, self.page_name)
        if network is INSTAGRAM:
            author = (self.instagram_id, self.instagram_username)
        number = self._next()
        reply_id = (
            f"{target.post_id.split('_')[-1]}_{number}"
            if network is FACEBOOK
            else f"1800000000{number}"
        )
        reply = FakeComment(
            reply_id, network, target.post_id, target.top_level, *author, text, self.clock()
        )
        self.comments[reply_id] = reply
        self.posted.append(reply)
        return reply

    def replies_of(self, comment_id: str) -> list[FakeComment]:
        return [c for c in self.comments.values() if c.is_reply and c.top_level == comment_id]

    def notification(self, *comments: FakeComment) -> dict[str, Any]:
        """The webhook body Meta sends about these comments (all of one network)."""
        networks = {comment.network for comment in comments}
        if len(networks) != 1:
            raise ValueError("one notification speaks of one object: page or instagram")
        sent_at = int(self.clock().timestamp())
        if networks == {FACEBOOK}:
            changes = [{"field": "feed", "value": self._feed_value(c)} for c in comments]
            entry = {"id": self.page_id, "time": sent_at, "changes": changes}
            return {"object": "page", "entry": [entry]}
        changes = [self._instagram_change(c) for c in comments]
        entry = {"id": self.instagram_id, "time": sent_at, "changes": changes}
        return {"object": "instagram", "entry": [entry]}

    def _feed_value(self, comment: FakeComment) -> dict[str, Any]:
        return {
            "from": {"id": comment.author_id, "name": comment.author_name},
            "post": {"status_type": "added_photos", "is_published": True, "id": comment.post_id},
            "message": comment.text,
            "post_id": comment.post_id,
            "comment_id": comment.id,
            "created_time": int(comment.created_at.timestamp()),
            "item": "comment",
            "parent_id": comment.top_level if comment.is_reply else comment.post_id,
            "verb": "add",
            **({"photo": comment.photo} if comment.photo else {}),
            **({"video": comment.video} if comment.video else {}),
        }

    def _instagram_change(self, comment: FakeComment) -> dict[str, Any]:
        if comment.caption:
            return {"field": "mentions", "value": {"media_id": comment.post_id}}
        if comment.mention:
            return {
                "field": "mentions",
                "value": {"media_id": comment.post_id, "comment_id": comment.id},
            }
        value: dict[str, Any] = {
            "from": {"id": comment.author_id, "username": comment.author_name},
            "media": {"id": comment.post_id, "media_product_type": "FEED"},
            "id": comment.id,
            "text": comment.text,
        }
        if comment.is_reply:
            value["parent_id"] = comment.top_level
        return {"field": "comments", "value": value}
