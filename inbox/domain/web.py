"""Who is logged in to the web app."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

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


@dataclass(frozen=True, slots=True)
class InboxRow:
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


@dataclass(frozen=True, slots=True)
class PageMessage:
    inbound: bool
    author: str
    text: str
    at: datetime
    url: str | None
    automated: bool
    reasons: tuple[tuple[str, str, str], ...]  # (decision, cue, effect)


@dataclass(frozen=True, slots=True)
class SearchResults:
    threads: tuple[tuple[int, str, str, str], ...]  # id, network, status, excerpt
    customers: tuple[tuple[str, tuple[str, ...], int | None], ...]  # name, identities, thread


@dataclass(frozen=True, slots=True)
class PageNote:
    """An internal note: never visible to the customer."""

    author: str
    text: str
    at: datetime


@dataclass(frozen=True, slots=True)
class PageCustomer:
    name: str | None
    vip: bool
    owner: str | None
    crm_id: str | None
    identities: tuple[str, ...]  # "network:handle"
    other_threads: tuple[
        tuple[int, str, str, str, datetime], ...
    ]  # id, network, status, excerpt, opened
    notes: tuple[PageNote, ...] = ()  # about the customer, on every thread of theirs


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
