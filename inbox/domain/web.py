"""Who is logged in to the web app."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

from inbox.domain.people import Role
from inbox.domain.presence import Presence


@dataclass(frozen=True, slots=True)
class AgentLogin:
    workspace_id: int
    agent_id: int
    name: str
    roles: frozenset[Role]
    password_hash: str | None
    time_zone: str | None = None  # their own choice; None: their team's calendar's
    team_id: int | None = None  # their first team (the oldest), whose calendar sets the default
    # False for a sign-in deactivated where it was made and still used by memberships
    # elsewhere: its session opens in one of those.
    active: bool = True


@dataclass(frozen=True, slots=True)
class Membership:
    """One workspace a person belongs to, and their agent row there."""

    workspace_id: int
    agent_id: int
    name: str


@dataclass(frozen=True, slots=True)
class WebSession:
    workspace_id: int
    agent_id: int
    name: str
    roles: frozenset[Role]
    csrf_token: str
    # The IANA zone every time is shown in: the person's choice (`chosen_time_zone`), else
    # their team's calendar's as it was when they logged in, else UTC.
    time_zone: str = "UTC"
    chosen_time_zone: str | None = None
    # Their status and shift as routing sees them now (the rail shows it).
    presence: Presence = field(default_factory=Presence)
    # The client address of the request being served (the audit trail records it).
    address: str | None = None
    # Every workspace the person signs in to, as (id, name), by name: the switcher's choices.
    workspaces: tuple[tuple[int, str], ...] = ()
    # The agent row (workspace, id) holding their password and second factor, when it is not
    # this session's own (they joined this workspace from another).
    linked_sign_in: tuple[int, int] | None = None

    @property
    def sign_in_row(self) -> tuple[int, int]:
        """Where the person's password and second factor are kept."""
        return self.linked_sign_in or (self.workspace_id, self.agent_id)

    def has(self, *roles: Role) -> bool:
        return bool(self.roles & set(roles))


@dataclass(frozen=True, slots=True)
class InboxFilters:
    """Narrowing a view; None means any."""

    network: str | None = None
    kind: str | None = None
    priority: str | None = None
    language: str | None = None
    topic: str | None = None
    sla: str | None = None  # one of SLA_STATES
    tag: str | None = None


# A thread's response deadline as a row shows it: gone by, within 15 minutes, later, or none.
SLA_STATES = ("breached", "at_risk", "on_time", "none")

ANY = InboxFilters()


class InboxRow(NamedTuple):
    """A thread as the inbox lists it. A named tuple, not a dataclass: a hundred are built
    for every page and live update, and each is the key of its drawn HTML (web.inbox_rows);
    a tuple is built three times faster than a frozen dataclass and hashed and compared in
    C."""

    thread_id: int
    network: str
    status: str
    priority: str
    kind: str
    language: str | None
    topics: tuple[str, ...]
    excerpt: str
    sla_due_at: datetime | None
    last_inbound_at: datetime | None
    answered: bool
    assignee: str | None
    author: str | None
    waiting_since: datetime | None = None
    # The running clock whose deadline is `sla_due_at`: when it started and when it warns.
    sla_started_at: datetime | None = None
    sla_warn_at: datetime | None = None
    tags: tuple[str, ...] = ()


class Sender(StrEnum):
    """Who a brand message came from, as the conversation says it."""

    AGENT = "agent"  # a person, through the inbox
    COMMUNITY = "community"  # a community member's answer, approved by a person
    AUTOMATIC = "automatic"  # an acknowledgement: it answers nothing
    INBOX = "inbox"  # through the inbox, by someone it did not record (older messages)
    NETWORK = "network"  # posted on the network itself, not through the inbox


@dataclass(frozen=True, slots=True)
class PageAttachment:
    """One attachment of a message as a page shows it (inbox/domain/media.py says what each
    field holds). `network`, `external_id` and `index` name it for the image proxy;
    `image` and `thumbnail` are the proxy's signed addresses (`/media/...`) of the original
    picture and of the one drawn in the page, set when the page is read (None: shown as a
    link only)."""

    kind: str
    url: str
    preview_url: str | None
    alt_text: str | None
    width: int | None
    height: int | None
    network: str
    external_id: str
    index: int
    image: str | None = None
    thumbnail: str | None = None


@dataclass(frozen=True, slots=True)
class PageMessage:
    inbound: bool
    author: str  # the @handle, else the name
    text: str
    at: datetime
    url: str | None  # the original post on its network (https only), when it has one
    automated: bool
    reasons: tuple[tuple[str, str, str], ...]  # (decision, cue, effect)
    # Pictures, videos and links, in the network's order.
    attachments: tuple[PageAttachment, ...] = ()
    author_name: str | None = None
    network: str = ""
    private: bool = False  # a direct message
    # The classifier's reading of a customer's message.
    kind: str | None = None
    language: str | None = None
    urgency: str | None = None
    topics: tuple[str, ...] = ()
    # A brand message: who sent it (`sent_by`: the agent, or the community member whose
    # answer `approved_by` let through).
    sender: Sender | None = None
    sent_by: str | None = None
    approved_by: str | None = None
    # Why its text is gone, if it is: "deleted_on_network", "retention" or "erased".
    text_removed: str | None = None


@dataclass(frozen=True, slots=True)
class PendingMessage:
    """A brand message queued on the thread that has not left yet, or failed to."""

    body: str
    private: bool  # a direct message
    status: str  # pending, sending, failed
    error: str | None
    sent_by: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class FoundThread:
    """A thread the search found: who wrote it, where, when its newest message holding the
    words was written (`latest`), where it stands, and that message's words around the
    match as pieces, each saying whether it is one of the words searched (`excerpt`)."""

    thread_id: int
    network: str
    status: str
    latest: datetime
    excerpt: tuple[tuple[str, bool], ...]
    author_handle: str | None = None
    author_name: str | None = None
    assignee: str | None = None
    # The matching message is the brand's own (an answer), not the customer's.
    from_brand: bool = False


@dataclass(frozen=True, slots=True)
class FoundCustomer:
    customer_id: int
    name: str
    identities: tuple[tuple[str, str], ...]  # network, handle
    latest_thread: int | None


@dataclass(frozen=True, slots=True)
class SearchResults:
    """What a search found: the threads whose newest match is the newest (at most `limit`:
    older matches are not paged through, more words narrow them) and customers by name or
    @handle."""

    threads: tuple[FoundThread, ...]
    customers: tuple[FoundCustomer, ...]
    limit: int = 0

    @property
    def more_threads_than_shown(self) -> bool:
        return self.limit > 0 and len(self.threads) >= self.limit


@dataclass(frozen=True, slots=True)
class PageNote:
    """An internal note: never visible to the customer."""

    author: str
    text: str
    at: datetime


@dataclass(frozen=True, slots=True)
class PageIdentity:
    """The customer on one network: their handle and, where it can be built, their profile."""

    network: str
    handle: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class PastThread:
    id: int
    network: str
    status: str
    excerpt: str
    opened_at: datetime


@dataclass(frozen=True, slots=True)
class HistoryGroup:
    """Threads of a customer that say the same thing ("3 × my order never arrived"), the
    latest first."""

    text: str
    threads: tuple[PastThread, ...]

    @property
    def latest(self) -> PastThread:
        return self.threads[0]


@dataclass(frozen=True, slots=True)
class PageCustomer:
    name: str | None
    vip: bool
    owner: str | None
    crm_id: str | None
    identities: tuple[PageIdentity, ...]
    other_threads: tuple[PastThread, ...]  # the latest first, at most HISTORY_READ
    notes: tuple[PageNote, ...] = ()  # about the customer, on every thread of theirs
    threads_total: int = 0  # all their other threads, however many were read

    @property
    def history(self) -> tuple[HistoryGroup, ...]:
        return history_groups(self.other_threads)


@dataclass(frozen=True, slots=True)
class ThreadPage:
    thread_id: int
    network: str
    status: str
    priority: str
    kind: str
    language: str | None
    topics: tuple[str, ...]
    tags: tuple[str, ...]
    personal_data: bool
    sla_due_at: datetime | None
    assignee: str | None
    messages: tuple[PageMessage, ...]
    notes: tuple[PageNote, ...] = ()
    customer: PageCustomer | None = None
    team: str | None = None
    snoozed_until: datetime | None = None
    private: bool = False  # a direct message: answers stay private
    answered: bool = False
    # Colleagues with the reply box open on this thread now, by name.
    replying: tuple[str, ...] = ()
    # Who and what the thread may be assigned to: (id, name).
    colleagues: tuple[tuple[int, str], ...] = ()
    teams: tuple[tuple[int, str], ...] = ()
    # The customer's real wait: from their oldest message nobody has answered (None: none).
    waiting_since: datetime | None = None
    opened_at: datetime | None = None
    # Their latest message's author, as the conversation's title names them.
    customer_handle: str | None = None
    # Brand messages queued and not sent yet, or failed.
    pending: tuple[PendingMessage, ...] = ()
    # The customer can be written to privately from here (X direct message, Mastodon direct).
    can_go_private: bool = False

    @property
    def conversation(self) -> tuple[tuple[str, PageMessage | PageNote], ...]:
        """The messages and the colleagues' notes in the order they were written:
        ("message", message) or ("note", note)."""
        entries: list[tuple[str, PageMessage | PageNote]] = [
            *(("message", m) for m in self.messages),
            *(("note", n) for n in self.notes),
        ]
        return tuple(sorted(entries, key=lambda entry: entry[1].at))


@dataclass(frozen=True, slots=True)
class PageNotification:
    """Something a person was told: a colleague named them in a note on a thread."""

    id: int
    kind: str
    thread_id: int
    by: str
    excerpt: str
    at: datetime
    read: bool


# A thread's customer history reads at most this many of their threads, shows this many
# groups at first, and all of them on demand.
HISTORY_READ = 50
HISTORY_SHOWN = 5
# Networks where a thread can move to a private conversation (a direct message).
PRIVATE_NETWORKS = frozenset({"x", "mastodon"})

_LEADING_HANDLES = re.compile(r"^(?:[@.]\S+\s+)+")
_X_HANDLE = re.compile(r"[A-Za-z0-9_]{1,50}")
_X_ID = re.compile(r"[0-9]{1,25}")
_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+")
_BLUESKY_HANDLE = re.compile(r"[A-Za-z0-9.-]{1,253}")
_PLAIN_HANDLE = re.compile(r"[A-Za-z0-9_.]{1,64}")


def can_go_private(
    network: str, private: bool, customer_id: str | None, customer_handle: str | None
) -> bool:
    """Whether a public thread can move to a direct message: on X to the customer's account,
    on Mastodon to their @handle (a direct status)."""
    if private or network not in PRIVATE_NETWORKS:
        return False
    return bool(customer_id) if network == "x" else bool(customer_handle)


def said(excerpt: str) -> str:
    """What a message says, without the @handles it starts with: "@acme my bill doubled"
    and "@acme  My bill doubled" say the same."""
    return " ".join(_LEADING_HANDLES.sub("", excerpt.strip() + " ").split())


def history_groups(threads: Iterable[PastThread]) -> tuple[HistoryGroup, ...]:
    """The threads grouped by what they say (case and spacing aside), the group with the
    latest thread first."""
    groups: dict[str, list[PastThread]] = {}
    texts: dict[str, str] = {}
    for thread in threads:
        text = said(thread.excerpt)
        key = text.casefold()
        groups.setdefault(key, []).append(thread)
        texts.setdefault(key, text)
    return tuple(HistoryGroup(texts[key], tuple(found)) for key, found in groups.items())


def web_address(url: str | None) -> str | None:
    """A stored address as a link may carry it: http(s) only (a network's payload is
    untrusted, and a `javascript:` link would run on the page)."""
    if url and url.startswith(("https://", "http://")) and not any(c.isspace() for c in url):
        return url
    return None


def post_url(network: str, external_id: str, handle: str | None, stored: str | None) -> str | None:
    """The original post on its network: the address stored with it, else, on X, built from
    its id and its author's handle (a direct message has none)."""
    found = web_address(stored)
    if found is not None or network != "x":
        return found
    if _X_ID.fullmatch(external_id) and handle and _X_HANDLE.fullmatch(handle):
        return f"https://x.com/{handle}/status/{external_id}"
    return None


def profile_url(network: str, handle: str | None) -> str | None:
    """The customer's profile on a network, from their handle; None where it cannot be built
    (Facebook has no public address by handle)."""
    if not handle:
        return None
    handle = handle.lstrip("@")
    if network == "x" and _X_HANDLE.fullmatch(handle):
        return f"https://x.com/{handle}"
    if network == "mastodon":
        user, _, instance = handle.partition("@")
        if _PLAIN_HANDLE.fullmatch(user) and _HOST.fullmatch(instance):
            return f"https://{instance}/@{user}"
        return None
    if network == "bluesky" and _BLUESKY_HANDLE.fullmatch(handle) and "." in handle:
        return f"https://bsky.app/profile/{handle}"
    if network == "instagram" and _PLAIN_HANDLE.fullmatch(handle):
        return f"https://www.instagram.com/{handle}/"
    return None
