"""What the inbox's and a thread's pages read at each request: who asks, with their view's
rows and whom the list's selection may be given to, or with the thread."""

from __future__ import annotations

from dataclasses import dataclass, field

from inbox.domain.customer_record import CustomerRecord, Evidence
from inbox.domain.incidents import IncidentBanner
from inbox.domain.sla import MajorIncidentWindow, SlaSettings, StoredClock
from inbox.domain.web import InboxRow, ThreadPage, WebSession
from inbox.domain.workspace_settings import WorkspacePreferences

# (id, name) of each colleague or team, by name.
Named = tuple[tuple[int, str], ...]


@dataclass(frozen=True, slots=True)
class DeskRead:
    """Read together, in one statement: the session (checked then), the first rows of its
    view, and the colleagues and teams threads may be given to (the list's toolbar)."""

    session: WebSession
    rows: list[InboxRow]
    colleagues: Named
    teams: Named


@dataclass(frozen=True, slots=True)
class SlaFacts:
    """What a thread's SLA clocks are explained from, as stored: the clocks, oldest first;
    the workspace's settings and the major periods of the incidents the thread is linked
    to (read only when it has a clock)."""

    clocks: tuple[StoredClock, ...] = ()
    settings: SlaSettings | None = None
    windows: tuple[MajorIncidentWindow, ...] = ()


@dataclass(frozen=True, slots=True)
class CustomerFacts:
    """A thread's customer as stored, and what says who they may be: the evidence about
    them, the pairs a person said are two people (read only with evidence), and the records
    of the customers the evidence names."""

    record: CustomerRecord | None = None
    evidence: tuple[Evidence, ...] = ()
    apart: frozenset[tuple[int, int]] = frozenset()
    others: tuple[CustomerRecord, ...] = ()


@dataclass(frozen=True, slots=True)
class ThreadRead:
    """Read together, in one statement: the session (checked then), the thread as its page
    shows it (None: no such thread in the session's workspace) and what the page shows
    around it."""

    session: WebSession
    page: ThreadPage | None
    customer_id: int | None = None
    # The workspace's canned responses as stored: (name, body, language), by name.
    canned: tuple[tuple[str, str, str | None], ...] = ()
    preferences: WorkspacePreferences = field(default_factory=WorkspacePreferences)
    # The open incidents the thread is linked to.
    incidents: tuple[IncidentBanner, ...] = ()
    # Who may follow the thread's customer (none without a customer).
    owners: Named = ()
    sla: SlaFacts = field(default_factory=SlaFacts)
    customer: CustomerFacts = field(default_factory=CustomerFacts)
