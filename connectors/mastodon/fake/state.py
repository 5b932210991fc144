"""The world of the fake Mastodon instance: accounts, statuses, notifications, scripted trouble.

Everything is in memory and synchronous; the server (`server.py`) renders it in Mastodon's
wire format. Tests and the demo script the world directly: `post` a status (its @mentions
notify the accounts they name), `delete` one, and script failures: HTTP errors, 429 storms,
malformed answers, an answer held back after its effect, a stream broken mid-event.
"""

from __future__ import annotations

import asyncio
import html
import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.common.fake_server import TimedRequest
from inbox.domain.clock import Clock, utc_now

MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_]+)(?:@([A-Za-z0-9.\-]+[A-Za-z0-9]))?")
LINK = re.compile(r"https?://[^\s<]+")
# Mastodon's ids are time-ordered 64-bit numbers; these only need to grow.
FIRST_STATUS_ID = 113_000_000_000_000_000
MALFORMED_KINDS = frozenset({"invalid_json", "missing_created_at", "bad_visibility", "not_a_list"})


def iso(instant: datetime) -> str:
    # Four-digit years whatever the platform's strftime does with years before 1000.
    utc = instant.astimezone(UTC)
    return f"{utc.year:04d}-" + utc.strftime("%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


@dataclass
class FakeAccount:
    id: str
    username: str
    display_name: str
    domain: str | None  # None: an account of this instance
    followers: int
    created_at: datetime

    @property
    def acct(self) -> str:
        return self.username if self.domain is None else f"{self.username}@{self.domain}"


@dataclass(frozen=True)
class FakeMedia:
    """A media attachment of a status: `type` image, gifv, video or audio; `url` the file,
    `preview_url` its small picture."""

    type: str
    url: str
    preview_url: str | None = None
    description: str | None = None
    width: int | None = None
    height: int | None = None


@dataclass
class FakeStatus:
    id: str
    account_id: str
    text: str
    created_at: datetime
    visibility: str
    language: str | None
    in_reply_to_id: str | None
    in_reply_to_account_id: str | None
    mentions: list[str]
    spoiler_text: str = ""
    deleted: bool = False
    media: tuple[FakeMedia, ...] = ()


@dataclass
class FakeNotification:
    id: str
    type: str
    recipient_id: str
    account_id: str
    status_id: str | None
    created_at: datetime


@dataclass(frozen=True)
class StreamBreak:
    """Put on a stream's queue: the connection ends, mid-event when asked."""

    mid_event: bool


@dataclass
class Script:
    failures: dict[str, list[int]] = field(default_factory=dict)
    storms: dict[str, list[float]] = field(default_factory=dict)
    malformed: dict[str, list[str]] = field(default_factory=dict)
    held: dict[str, float] = field(default_factory=dict)


class FakeMastodon:
    def __init__(
        self,
        *,
        domain: str = "fake.social",
        clock: Clock = utc_now,
        keepalive_seconds: float = 15.0,
        rate_limit: int = 300,
        rate_window: timedelta = timedelta(minutes=5),
    ) -> None:
        self.domain = domain
        self.clock = clock
        self.keepalive_seconds = keepalive_seconds
        self.rate_limit = rate_limit
        self.rate_window = rate_window
        self.accounts: dict[str, FakeAccount] = {}
        # Accounts by (casefolded username, domain), the first of each: each @mention of
        # each status rendered is looked up.
        self._by_name: dict[tuple[str, str | None], FakeAccount] = {}
        self.statuses: dict[str, FakeStatus] = {}
        # Replies to each status, counted as they are posted: rendering a status must not
        # scan every status (a page of 80 would cost the benchmarks' fake 80 scans).
        self._replies: Counter[str] = Counter()
        # Statuses of each account (deleted ones too, as before), counted alike: every page
        # renders two accounts a notification.
        self._statuses_by: Counter[str] = Counter()
        self.notifications: list[FakeNotification] = []
        self.tokens: dict[str, str] = {}
        self.posted: list[FakeStatus] = []
        self.idempotency: dict[tuple[str, str], str] = {}
        self.script = Script()
        self.requests: dict[str, int] = {}
        self.timed_requests: list[TimedRequest] = []
        self.reads = 0
        self.streams: dict[str, list[asyncio.Queue[bytes | StreamBreak]]] = {}
        self._windows: dict[str, tuple[datetime, int]] = {}
        self._next_account = 100
        self._next_status = FIRST_STATUS_ID
        self._next_notification = 1

    # -- the world ----------------------------------------------------------------------------

    def add_account(
        self,
        username: str,
        display_name: str = "",
        *,
        domain: str | None = None,
        followers: int = 0,
        token: str | None = None,
    ) -> str:
        self._next_account += 1
        account_id = str(self._next_account)
        account = FakeAccount(account_id, username, display_name, domain, followers, self.clock())
        self.accounts[account_id] = account
        self._by_name.setdefault((username.casefold(), domain), account)
        if token is not None:
            self.tokens[token] = account_id
        return account_id

    def find(self, username: str, domain: str | None = None) -> FakeAccount | None:
        if domain == self.domain:
            domain = None
        return self._by_name.get((username.casefold(), domain))

    def post(
        self,
        author_id: str,
        text: str,
        *,
        reply_to: str | None = None,
        visibility: str = "public",
        language: str | None = "en",
        spoiler_text: str = "",
        media: Sequence[FakeMedia] = (),
    ) -> str:
        """A status; each account it @mentions gets a mention notification (and its stream)."""
        self._next_status += 1 + len(self.statuses) % 7
        status_id = str(self._next_status)
        parent = self.statuses.get(reply_to) if reply_to else None
        mentioned = [
            account.id
            for username, domain in MENTION.findall(text)
            if (account := self.find(username, domain or None)) is not None
        ]
        status = FakeStatus(
            status_id,
            author_id,
            text,
            self.clock(),
            visibility,
            language,
            reply_to,
            parent.account_id if parent else None,
            list(dict.fromkeys(mentioned)),
            spoiler_text,
            media=tuple(media),
        )
        self.statuses[status_id] = status
        self._statuses_by[author_id] += 1
        if reply_to is not None:
            self._replies[reply_to] += 1
        self._publish(author_id, "update", self.status_json(status))
        for account_id in status.mentions:
            if account_id != author_id:
                self.notify(account_id, "mention", author_id, status_id)
        return status_id

    def notify(
        self, recipient_id: str, kind: str, from_id: str, status_id: str | None = None
    ) -> str:
        notification = FakeNotification(
            str(self._next_notification), kind, recipient_id, from_id, status_id, self.clock()
        )
        self._next_notification += 1
        self.notifications.append(notification)
        self._publish(recipient_id, "notification", self.notification_json(notification))
        return notification.id

    def delete(self, status_id: str) -> None:
        """The author deletes a status: as Mastodon's RemoveStatusService does, a `delete`
        event with the bare id goes to the author's stream and to every account it mentioned
        (followers' home timelines are not modelled)."""
        status = self.statuses[status_id]
        status.deleted = True
        for account_id in dict.fromkeys([status.account_id, *status.mentions]):
            self._publish_raw(account_id, "delete", status_id)

    def steady(self, authors: list[str], text: str, count: int) -> list[str]:
        return [self.post(authors[n % len(authors)], f"{text} #{n}") for n in range(count)]

    # -- scripted trouble ---------------------------------------------------------------------

    def fail_next(self, endpoint: str, status: int, times: int = 1) -> None:
        self.script.failures.setdefault(endpoint, []).extend([status] * times)

    def rate_limit_storm(self, endpoint: str, times: int, *, reset_after_seconds: float) -> None:
        self.script.storms.setdefault(endpoint, []).extend([reset_after_seconds] * times)

    def malformed_next(self, endpoint: str, kind: str) -> None:
        if kind not in MALFORMED_KINDS:
            raise ValueError(f"unknown malformation {kind!r}; one of {sorted(MALFORMED_KINDS)}")
        self.script.malformed.setdefault(endpoint, []).append(kind)

    def hold_answer(self, endpoint: str, seconds: float) -> None:
        """Do the request's work at once but answer only after `seconds` (0: stop holding)."""
        if seconds <= 0:
            self.script.held.pop(endpoint, None)
        else:
            self.script.held[endpoint] = seconds

    def break_streams(self, *, mid_event: bool = False) -> int:
        """End every open stream connection; returns how many there were."""
        count = 0
        for queues in self.streams.values():
            for queue in queues:
                queue.put_nowait(StreamBreak(mid_event))
                count += 1
        return count

    def open_streams(self) -> int:
        return sum(len(queues) for queues in self.streams.values())

    # -- rate limits ----------------------------------------------------------------------------

    def spend(self, token: str) -> tuple[int, int, datetime, bool]:
        """(limit, remaining, reset, over the limit) after one request of this token."""
        now = self.clock()
        started, used = self._windows.get(token, (now, 0))
        if now >= started + self.rate_window:
            started, used = now, 0
        used += 1
        self._windows[token] = (started, used)
        reset = started + self.rate_window
        return self.rate_limit, max(0, self.rate_limit - used), reset, used > self.rate_limit

    # -- wire format ------------------------------------------------------------------------------

    def base_url(self) -> str:
        return f"https://{self.domain}"

    def account_json(self, account: FakeAccount) -> dict[str, Any]:
        home = account.domain or self.domain
        url = f"https://{home}/@{account.username}"
        statuses = self._statuses_by[account.id]
        return {
            "id": account.id,
            "username": account.username,
            "acct": account.acct,
            "display_name": account.display_name,
            "locked": False,
            "bot": False,
            "discoverable": True,
            "indexable": False,
            "group": False,
            "created_at": iso(account.created_at),
            "note": "",
            "url": url,
            "uri": f"https://{home}/users/{account.username}",
            "avatar": f"{self.base_url()}/avatars/original/missing.png",
            "avatar_static": f"{self.base_url()}/avatars/original/missing.png",
            "avatar_description": "",
            "header": f"{self.base_url()}/headers/original/missing.png",
            "header_static": f"{self.base_url()}/headers/original/missing.png",
            "header_description": "",
            "followers_count": account.followers,
            "following_count": 0,
            "statuses_count": statuses,
            "last_status_at": None,
            "hide_collections": False,
            "show_media": True,
            "show_media_replies": True,
            "show_featured": True,
            "emojis": [],
            "fields": [],
        }

    def render(self, text: str) -> str:
        """Plain text as Mastodon renders it: escaped, paragraphs, <br />, mentions, links."""
        paragraphs = []
        for block in re.split(r"\n\s*\n", text.strip()):
            escaped = html.escape(block, quote=False)
            escaped = LINK.sub(self._link, escaped)
            escaped = MENTION.sub(self._mention, escaped)
            paragraphs.append("<p>" + escaped.replace("\n", "<br />") + "</p>")
        return "".join(paragraphs)

    def _link(self, match: re.Match[str]) -> str:
        url = match.group(0)
        scheme, _, rest = url.partition("://")
        shown, hidden = rest[:30], rest[30:]
        return (
            f'<a href="{url}" target="_blank" rel="nofollow noopener">'
            f'<span class="invisible">{scheme}://</span>'
            f'<span class="{"ellipsis" if hidden else ""}">{shown}</span>'
            f'<span class="invisible">{hidden}</span></a>'
        )

    def _mention(self, match: re.Match[str]) -> str:
        account = self.find(match.group(1), match.group(2))
        if account is None:
            return match.group(0)
        home = account.domain or self.domain
        return (
            f'<span class="h-card" translate="no"><a href="https://{home}/@{account.username}" '
            f'class="u-url mention">@<span>{account.username}</span></a></span>'
        )

    def status_json(self, status: FakeStatus) -> dict[str, Any]:
        author = self.accounts[status.account_id]
        url = f"https://{author.domain or self.domain}/@{author.username}/{status.id}"
        replies = self._replies[status.id]
        return {
            "id": status.id,
            "created_at": iso(status.created_at),
            "in_reply_to_id": status.in_reply_to_id,
            "in_reply_to_account_id": status.in_reply_to_account_id,
            "sensitive": bool(status.spoiler_text),
            "spoiler_text": status.spoiler_text,
            "visibility": status.visibility,
            "language": status.language,
            "uri": f"https://{author.domain or self.domain}/users/{author.username}/statuses/"
            f"{status.id}",
            "url": url,
            "replies_count": replies,
            "reblogs_count": 0,
            "favourites_count": 0,
            "quotes_count": 0,
            "edited_at": None,
            "favourited": False,
            "reblogged": False,
            "muted": False,
            "bookmarked": False,
            "content": self.render(status.text),
            "filtered": [],
            "reblog": None,
            "account": self.account_json(author),
            "media_attachments": [
                self.media_json(status.id, number, media)
                for number, media in enumerate(status.media)
            ],
            "mentions": [
                {
                    "id": a.id,
                    "username": a.username,
                    "url": f"https://{a.domain or self.domain}/@{a.username}",
                    "acct": a.acct,
                }
                for a in (self.accounts[i] for i in status.mentions)
            ],
            "tags": [],
            "emojis": [],
            "tagged_collections": [],
            "quote": None,
            "card": None,
            "poll": None,
            "quote_approval": {"automatic": [], "manual": [], "current_user": "denied"},
        }

    def media_json(self, status_id: str, number: int, media: FakeMedia) -> dict[str, Any]:
        """A media attachment in Mastodon's shape (as mastodon.social sends one)."""
        size: dict[str, Any] = {}
        if media.width and media.height:
            size = {
                "width": media.width,
                "height": media.height,
                "size": f"{media.width}x{media.height}",
                "aspect": media.width / media.height,
            }
        return {
            "id": f"{status_id}{number:03d}",
            "type": media.type,
            "url": media.url,
            "preview_url": media.preview_url,
            "remote_url": None,
            "preview_remote_url": None,
            "text_url": None,
            "meta": {"original": size, "small": size} if size else {},
            "description": media.description,
            "blurhash": None,
        }

    def notification_json(self, notification: FakeNotification) -> dict[str, Any]:
        status = self.statuses.get(notification.status_id or "")
        return {
            "id": notification.id,
            "type": notification.type,
            "created_at": iso(notification.created_at),
            "group_key": f"ungrouped-{notification.id}",
            "account": self.account_json(self.accounts[notification.account_id]),
            "status": self.status_json(status) if status and not status.deleted else None,
        }

    def visible(self, status: FakeStatus, viewer_id: str) -> bool:
        if status.deleted:
            return False
        if status.visibility in ("public", "unlisted") or status.account_id == viewer_id:
            return True
        return viewer_id in status.mentions

    # -- streams --------------------------------------------------------------------------------

    def subscribe(self, account_id: str) -> asyncio.Queue[bytes | StreamBreak]:
        queue: asyncio.Queue[bytes | StreamBreak] = asyncio.Queue()
        self.streams.setdefault(account_id, []).append(queue)
        return queue

    def unsubscribe(self, account_id: str, queue: asyncio.Queue[bytes | StreamBreak]) -> None:
        queues = self.streams.get(account_id, [])
        if queue in queues:
            queues.remove(queue)

    def _publish(self, account_id: str, event: str, payload: dict[str, Any]) -> None:
        self._publish_raw(account_id, event, json.dumps(payload, separators=(",", ":")))

    def _publish_raw(self, account_id: str, event: str, data: str) -> None:
        frame = f"event: {event}\ndata: {data}\n\n".encode()
        for queue in self.streams.get(account_id, []):
            queue.put_nowait(frame)
