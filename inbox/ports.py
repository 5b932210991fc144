"""The ports through which use cases reach storage and the decision engines.

Adapters (the PostgreSQL store, connectors, the SLA timer) implement them; use cases depend on
nothing else. Classification, SLA clocks and routing plug in here as their engines arrive.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from pydantic import SecretStr

from inbox.domain.bulk import AssignTarget, Skipped
from inbox.domain.community import (
    AnswerForReview,
    AnswerStatus,
    Credit,
    MemberAnswer,
    OfferedQuestion,
    ReviewedAnswer,
)
from inbox.domain.inbound_webhooks import InboundSource, ParsedDelivery, SourceKind, SourceSummary
from inbox.domain.ingestion import IngestBatch, IngestResult
from inbox.domain.live import LiveChange, ThreadState
from inbox.domain.login_throttle import LoginAttempt, LoginThrottle
from inbox.domain.media import MediaAttachment
from inbox.domain.media_proxy import FetchedImage
from inbox.domain.mention import Mention
from inbox.domain.network import ChannelStatus, Network, NetworkAccount
from inbox.domain.outbox import OutboxItem, OutboxKind
from inbox.domain.people import Role
from inbox.domain.presence import AgentStatus, Presence
from inbox.domain.replies import ThreadReplyFacts
from inbox.domain.routing import ClaimedThread, RoutingConfig, StoredCorrection
from inbox.domain.sla import (
    MajorIncidentWindow,
    SlaEvent,
    SlaReportRow,
    SlaSettings,
    StoredClock,
    ThreadTimeline,
)
from inbox.domain.sla_alerts import PendingShiftReport, PendingSlaEvent, SlaDispatch
from inbox.domain.thread import Priority, Thread, ThreadKind, ThreadStatus
from inbox.domain.web import (
    AgentLogin,
    InboxFilters,
    InboxRow,
    PageNotification,
    SearchResults,
    ThreadPage,
    WebSession,
)
from inbox.domain.webhooks import DeliveryJob, Webhook
from inbox.domain.workspace_settings import (
    PersonRecord,
    TeamProfile,
    WorkProfile,
    WorkspacePreferences,
    WorkspaceSummary,
)
from routing.rules import RuleOutcome, RuleSubject
from routing.snapshot import AssignedThread, Assignment, Snapshot, ThreadToRoute
from sla.alerts import Person


class MentionClassification(Protocol):
    """What a classifier decides about one inbound mention, and why."""

    @property
    def kind(self) -> ThreadKind: ...

    @property
    def language(self) -> str | None: ...

    @property
    def priority(self) -> Priority: ...

    @property
    def topics(self) -> tuple[str, ...]: ...

    @property
    def suggest_private_message(self) -> bool: ...

    def as_dict(self) -> dict[str, object]:
        """Everything decided, with the reasons, as stored (personal data masked)."""
        ...


class MentionClassifier(Protocol):
    """Runs before the batch transaction opens, one answer per mention."""

    async def classify(
        self, workspace_id: int, mentions: Sequence[Mention]
    ) -> Sequence[MentionClassification]: ...


class IngestTransaction(Protocol):
    """One open batch transaction. Everything written through it commits or rolls back together."""

    async def write_batch(
        self,
        workspace_id: int,
        batch: IngestBatch,
        classifications: Sequence[MentionClassification] | None = None,
    ) -> IngestResult: ...

    async def notify_threads_changed(
        self, workspace_id: int, thread_ids: frozenset[int]
    ) -> None: ...

    @property
    def clocks(self) -> ClockWriter: ...

    @property
    def routing(self) -> RoutingWriter: ...


# What a hook has ingestion do once its batch has committed: no I/O, nothing that can fail
# for the batch's sake (the batch is stored by then).
AfterCommit = Callable[[], None]


class AfterIngestHook(Protocol):
    """Runs inside the batch transaction after the mentions are written.

    SLA clocks start here and routing writes its assignments here, so that a crash never leaves
    a mention without its clock or its assignment. What must follow only a stored batch (the
    in-memory counts of the outage detector) is returned as an `AfterCommit`: ingestion runs
    it once the transaction has committed, and never for a transaction that rolled back (a
    batch retried, split or refused would otherwise be counted again, or counted unstored).
    """

    async def __call__(
        self, tx: IngestTransaction, workspace_id: int, result: IngestResult
    ) -> AfterCommit | None: ...


class IngestStore(Protocol):
    def batch_transaction(
        self, workspace_id: int
    ) -> AbstractAsyncContextManager[IngestTransaction]: ...


class ThreadQuery(Protocol):
    async def list_threads(
        self,
        workspace_id: int,
        *,
        statuses: Sequence[ThreadStatus],
        limit: int,
        before_id: int | None,
    ) -> list[Thread]: ...


class TokenStore(Protocol):
    async def find_token(
        self, workspace_id: int, token_hash: bytes
    ) -> tuple[int, Role, int | None] | None:
        """The token's id, role and agent, if it exists and is not revoked."""
        ...

    async def create_token(
        self,
        workspace_id: int,
        name: str,
        role: Role,
        token_hash: bytes,
        agent_email: str | None = None,
    ) -> int:
        """Raises NotFoundError when `agent_email` names no agent of the workspace."""
        ...


class WorkspaceStore(Protocol):
    async def ensure_workspace(self, slug: str, name: str) -> int: ...

    async def workspace_id(self, slug: str) -> int | None: ...


class AccountRegistry(Protocol):
    """The brand's own accounts on networks, found again by (network, external id)."""

    async def add_account(
        self, workspace_id: int, network: Network, external_id: str, handle: str
    ) -> NetworkAccount:
        """Registered (or its handle updated): its messages become outbound."""
        ...

    async def configure_account(
        self,
        workspace_id: int,
        network: Network,
        external_id: str,
        handle: str,
        settings: dict[str, Any],
    ) -> int:
        """The account's id, created or updated with these settings, and enabled."""
        ...


class CredentialStore(Protocol):
    async def replace(
        self, workspace_id: int, account_id: int, secrets: Mapping[str, SecretStr]
    ) -> None:
        """Store these secrets, sealed, for the account and forget any other it had."""
        ...


class PeopleStore(Protocol):
    async def save_agent(
        self,
        workspace_id: int,
        email: str,
        display_name: str,
        roles: Sequence[Role],
        teams: Sequence[str],
    ) -> int:
        """Create or update the agent (by e-mail) with exactly these roles and teams."""
        ...

    async def set_languages(self, workspace_id: int, email: str, languages: Sequence[str]) -> None:
        """The languages the agent answers in (routing offers them those threads)."""
        ...

    async def set_team_languages(
        self, workspace_id: int, languages: Mapping[str, Sequence[str]]
    ) -> None:
        """By team name: the languages each team answers in."""
        ...


class HealthCheck(Protocol):
    async def ping(self) -> None:
        """Raises DatabaseUnavailableError when the database does not answer."""
        ...


class ConnectorState(Protocol):
    """What a connector reads back between polls: its cursors and which posts are stored."""

    async def cursor(self, workspace_id: int, connector: str) -> str | None: ...

    async def known_external_ids(
        self, workspace_id: int, network: str, external_ids: Sequence[str]
    ) -> set[str]: ...


class ApiUsageLedger(Protocol):
    """Requests and posts read per account and day (what a network bills)."""

    async def record(
        self, workspace_id: int, account_id: int, day: date, requests: int, reads: int
    ) -> None: ...

    async def reads(
        self, workspace_id: int, account_id: int, day: date, month_start: date
    ) -> tuple[int, int]:
        """Posts read on `day` and since `month_start` (inclusive)."""
        ...


class ChannelHealthStore(Protocol):
    async def save(
        self,
        workspace_id: int,
        account_id: int,
        health: Mapping[str, Any],
        events: Sequence[tuple[str, str, datetime]],
    ) -> None:
        """The channel's latest health; events (kind, reason, at) are stored and notified."""
        ...

    async def load(self, workspace_id: int, account_id: int) -> dict[str, Any] | None: ...


class OutboxStore(Protocol):
    async def enqueue(
        self,
        workspace_id: int,
        thread_id: int,
        kind: OutboxKind,
        idempotency_key: str,
        body: str,
        *,
        in_reply_to: str | None = None,
        account_id: int | None = None,
        recipient_id: str | None = None,
        agent_id: int | None = None,
    ) -> OutboxItem:
        """`agent_id`: who sends it (a reply, a direct message, an approved answer)."""
        ...

    async def claim_due(self, now: datetime, limit: int, lease: timedelta) -> list[OutboxItem]:
        """Due items, marked sending under a lease; `attempts` already counts this one."""
        ...

    async def mark_sent(self, item: OutboxItem, external_id: str) -> None: ...

    async def mark_failed(self, item: OutboxItem, reason: str) -> None: ...

    async def retry_later(self, item: OutboxItem, reason: str, at: datetime) -> None: ...


class OutboundChannel(Protocol):
    """Posts for one connected account. Raises DeliveryError, permanent or not."""

    async def send(self, item: OutboxItem) -> Mention:
        """Post the item; the answer is the message as posted, an outbound mention."""
        ...

    async def find_sent(self, item: OutboxItem) -> Mention | None:
        """The message if an earlier attempt posted it (looked up on the network)."""
        ...


class OutboundChannels(Protocol):
    async def for_account(self, workspace_id: int, account_id: int | None) -> OutboundChannel:
        """Raises DeliveryError(permanent=True) when the account cannot post."""
        ...


class ChannelQuery(Protocol):
    async def list_channels(self, workspace_id: int) -> list[ChannelStatus]: ...


class ClockWriter(Protocol):
    """SLA clocks, inside the batch transaction that wrote the messages they follow."""

    async def sla_settings(self, workspace_id: int) -> SlaSettings | None: ...

    async def timelines(
        self, workspace_id: int, thread_ids: Sequence[int]
    ) -> list[ThreadTimeline]: ...

    async def clocks_of(
        self, workspace_id: int, thread_ids: Sequence[int]
    ) -> list[StoredClock]: ...

    async def major_incident_windows(
        self, workspace_id: int, thread_ids: Sequence[int]
    ) -> list[MajorIncidentWindow]:
        """The major periods of the incidents these threads are linked to, in one read."""
        ...

    async def save_clocks(
        self,
        workspace_id: int,
        clocks: Sequence[StoredClock],
        stale: Sequence[StoredClock] = (),
    ) -> None:
        """Insert or update `clocks`; delete `stale` ones (clocks closed by hand are kept)."""
        ...

    async def record_closure(
        self, workspace_id: int, thread_id: int, at: datetime, reason: str, closed_by: str
    ) -> bool:
        """Resolve the thread without an answer (or, for "resolved", after one); False when
        it does not exist or, for "resolved", when a customer message is still unanswered."""
        ...

    async def thread_exists(self, workspace_id: int, thread_id: int) -> bool: ...

    async def record_closures(
        self,
        workspace_id: int,
        thread_ids: Sequence[int],
        at: datetime,
        reason: str,
        closed_by: str,
    ) -> list[int]:
        """`record_closure` for many threads in one statement; the ids of those closed."""
        ...

    async def queue_acknowledgements(
        self, workspace_id: int, acknowledgements: Sequence[tuple[int, str, str]]
    ) -> None:
        """(thread id, idempotency key, text) for the outbox, once per key."""
        ...


class Leadership(Protocol):
    """One attempt at being the SLA timer, for as long as the lock's connection lives."""

    @property
    def leader(self) -> bool: ...

    async def lost(self) -> None:
        """Returns when the lock's connection is gone, and leadership with it."""
        ...


class SlaTimerStore(Protocol):
    async def next_due(self) -> datetime | None: ...

    async def fire_due(self, now: datetime, limit: int = 500) -> list[SlaEvent]:
        """Fire the events due at `now`, each exactly once whoever else tries."""
        ...

    def leadership(
        self, on_deadline_change: Callable[[], None]
    ) -> AbstractAsyncContextManager[Leadership]:
        """Leader while this process is the one timer; calls back when a nearer deadline
        may have appeared."""
        ...


class SlaReports(Protocol):
    async def report(
        self,
        workspace_id: int,
        dimension: str,
        since: datetime,
        until: datetime,
        time_zone: str,
        now: datetime,
        assignee_id: int | None = None,
    ) -> list[SlaReportRow]:
        """Only the threads `assignee_id` holds, if given."""
        ...


class SlaQuery(Protocol):
    async def sla_settings(self, workspace_id: int) -> SlaSettings | None: ...

    async def thread_clocks(self, workspace_id: int, thread_id: int) -> list[StoredClock]: ...

    async def major_incident_windows(
        self, workspace_id: int, thread_ids: Sequence[int]
    ) -> list[MajorIncidentWindow]: ...


class SlaSettingsWriter(ClockWriter, Protocol):
    """New SLA settings and the clocks re-planned under them, in one transaction."""

    async def save_settings(
        self, workspace_id: int, calendars: dict[str, object], policies: dict[str, object]
    ) -> int:
        """Store them as the next version; returns it."""
        ...

    async def threads_with_running_clocks(self, workspace_id: int) -> list[list[int]]:
        """Thread ids in chunks, each re-planned in one go."""
        ...


class SlaSettingsStore(Protocol):
    async def load(self, workspace_id: int) -> SlaSettings | None: ...

    def settings_transaction(
        self, workspace_id: int
    ) -> AbstractAsyncContextManager[SlaSettingsWriter]:
        """A transaction that ingestion of the workspace waits for, in which settings are
        saved and clocks re-planned: all of it commits, or none."""
        ...

    def clock_transaction(self, workspace_id: int) -> AbstractAsyncContextManager[ClockWriter]:
        """A transaction that ingestion of the workspace waits for."""
        ...


class SlaGauges(Protocol):
    async def gauges(self, workspace_id: int, now: datetime) -> dict[str, int]: ...

    async def waiting_on(self, workspace_id: int, now: datetime, agent_id: int) -> dict[str, int]:
        """The customers waiting on one person's threads, by how long they have waited."""
        ...


class ShiftReports(Protocol):
    async def all_settings(self) -> list[tuple[int, SlaSettings]]: ...

    async def record(self, workspace_id: int, calendar: str, closes_at: datetime) -> int | None:
        """List the calendar's running clocks for this closing, once; None if already done."""
        ...


class SlaDispatchStore(Protocol):
    async def pending_events(self, limit: int = 500) -> list[PendingSlaEvent]: ...

    async def pending_shift_reports(self, limit: int = 100) -> list[PendingShiftReport]: ...

    async def people(self, workspace_id: int) -> list[Person]: ...

    async def record(
        self, events: Sequence[SlaDispatch], shift_reports: Sequence[SlaDispatch] = ()
    ) -> None:
        """Alerts, webhook deliveries and dispatched marks together; a repeat adds nothing."""
        ...


class WebhookStore(Protocol):
    async def add(
        self, workspace_id: int, url: str, events: tuple[str, ...], secret: SecretStr
    ) -> Webhook: ...

    async def all(self, workspace_id: int) -> list[Webhook]: ...

    async def remove(self, workspace_id: int, webhook_id: int) -> bool: ...

    async def claim_due(self, now: datetime, limit: int, lease: timedelta) -> list[DeliveryJob]:
        """Due deliveries, each held under a lease so that no other sender posts it."""
        ...

    async def delivered(self, job: DeliveryJob, status: int, at: datetime) -> None: ...

    async def failed(self, job: DeliveryJob, reason: str, status: int | None) -> None: ...

    async def retry_later(
        self, job: DeliveryJob, reason: str, status: int | None, at: datetime
    ) -> None: ...


class WebhookPoster(Protocol):
    async def post(self, url: str, headers: Mapping[str, str], body: bytes) -> int:
        """The receiver's HTTP status; raises WebhookUnreachable when none came back, and
        ForbiddenDestination when the egress policy refused the receiver's address."""
        ...


class OutboundDestinations(Protocol):
    """The egress policy applied to an address typed in (inbox.domain.egress)."""

    async def check(self, url: str, setting: str) -> None:
        """Raises ForbiddenDestination naming `setting` when `url` may not be sent to: its
        scheme, its host, or any address its name resolves to now."""
        ...


class AssignmentWriter(Protocol):
    """Every change of who holds a thread, on a transaction its caller owns, each logged in
    the thread's assignment history with its source and reasons."""

    async def apply(
        self,
        workspace_id: int,
        assignments: Sequence[Assignment],
        at: datetime,
        source: str,
        holders: Sequence[int | None] | None = None,
    ) -> None:
        """Routing's decisions, for the threads still held as the decision saw them."""
        ...

    async def assign_selection(
        self,
        workspace_id: int,
        thread_ids: Sequence[int],
        target: AssignTarget,
        at: datetime,
        reason: str,
    ) -> tuple[list[int], dict[int, Skipped], list[int]]:
        """A selection to one colleague or one team's queue: (done, skipped with why, the
        colleagues who held the threads given away)."""
        ...


class RoutingWriter(Protocol):
    """Routing on one open transaction (an ingestion batch's, or one of its own)."""

    @property
    def assignments(self) -> AssignmentWriter:
        """The assignments routing writes, on the same transaction."""
        ...

    async def config(self, workspace_id: int) -> RoutingConfig | None: ...

    async def snapshot(self, workspace_id: int, now: datetime, window: timedelta) -> Snapshot: ...

    async def to_route(
        self, workspace_id: int, thread_ids: Sequence[int]
    ) -> list[tuple[ThreadToRoute, int | None]]:
        """Threads waiting for someone, with who holds them now (None: the queue)."""
        ...

    async def rule_subjects(
        self, workspace_id: int, thread_ids: Sequence[int]
    ) -> list[RuleSubject]: ...

    async def apply_rules(
        self, workspace_id: int, outcomes: Sequence[tuple[int, RuleOutcome]]
    ) -> None: ...

    async def agents_by_email(self, workspace_id: int, emails: Sequence[str]) -> dict[str, int]: ...

    async def raise_repeated(
        self, workspace_id: int, thread_ids: Sequence[int], unanswered: int
    ) -> list[int]:
        """Make high the threads whose customer wrote `unanswered` times without an answer."""
        ...

    async def stale(
        self, workspace_id: int, assigned_before: datetime, limit: int = 500
    ) -> list[AssignedThread]: ...

    async def count_rules(self, workspace_id: int, fired: dict[str, int], at: datetime) -> None: ...

    async def waiting(
        self, workspace_id: int, team_ids: Collection[int] | None, now: datetime, limit: int
    ) -> list[ThreadToRoute]:
        """Threads nobody holds in the queues of these teams (None: every team), most pressing
        first, locked until the transaction ends; one caller at a time per workspace."""
        ...

    async def teams_around(
        self, workspace_id: int, thread_ids: Sequence[int] = (), agent_ids: Sequence[int] = ()
    ) -> list[int]:
        """The teams of these threads, of the agents holding them, and of these agents."""
        ...

    async def set_status(
        self, workspace_id: int, agent_id: int, status: AgentStatus
    ) -> Presence | None:
        """The agent's presence once their status is set; None without such an active agent."""
        ...

    async def team_ids(self, workspace_id: int) -> list[int]: ...

    async def set_shifts(self, workspace_id: int, open_now: Mapping[int, bool]) -> dict[int, bool]:
        """Record which teams are on shift now; those that changed, with their new state."""
        ...


class BulkWriter(Protocol):
    """Actions on several threads in one transaction, each checked against the workspace and
    the thread's state; the threads changed are announced as it ends."""

    @property
    def routing(self) -> RoutingWriter:
        """Routing on the same transaction."""
        ...

    async def tag(
        self, workspace_id: int, thread_ids: Sequence[int], tags: Sequence[str], most: int
    ) -> tuple[list[int], dict[int, Skipped]]: ...

    async def untag(
        self, workspace_id: int, thread_ids: Sequence[int], tags: Sequence[str]
    ) -> tuple[list[int], dict[int, Skipped]]: ...

    async def snooze(
        self, workspace_id: int, thread_ids: Sequence[int], until: datetime
    ) -> tuple[list[int], dict[int, Skipped]]: ...

    async def target_name(self, workspace_id: int, target: AssignTarget) -> str | None:
        """The colleague's name or the team's ("team Support FR"); None if not there."""
        ...


class BulkStore(Protocol):
    def transaction(self, workspace_id: int) -> AbstractAsyncContextManager[BulkWriter]: ...

    async def statuses(self, workspace_id: int, thread_ids: Sequence[int]) -> dict[int, str]:
        """The status of each thread named that is in the workspace."""
        ...

    async def assignees(
        self, workspace_id: int
    ) -> tuple[tuple[tuple[int, str], ...], tuple[tuple[int, str], ...]]:
        """Whom threads may be given to: (colleagues, teams), each (id, name)."""
        ...


class WaitingThreads(Protocol):
    """Routing of the threads waiting in team queues, told when seats may have come free."""

    async def seats_freed(self, workspace_id: int, thread_ids: Sequence[int]) -> None:
        """These threads were closed or handed over: their holders and teams may have room."""
        ...


class RoutingStore(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[RoutingWriter]: ...

    async def claim(
        self, workspace_id: int, agent_id: int, limit: int, at: datetime
    ) -> list[ClaimedThread]: ...

    async def rule_counts(self, workspace_id: int) -> dict[str, int]: ...

    async def load_config(self, workspace_id: int) -> RoutingConfig | None: ...

    async def save_config(
        self,
        workspace_id: int,
        settings: dict[str, object],
        lexicon: dict[str, object],
        rules: dict[str, object],
    ) -> int: ...


class CorrectionStore(Protocol):
    """What the worker reads and writes to learn each workspace's classifier adjustment."""

    async def workspaces_to_learn(self) -> list[int]:
        """Workspaces with a kind or urgency correction newer than their adjustment."""
        ...

    async def corrections(self, workspace_id: int) -> list[StoredCorrection]:
        """The workspace's latest correction per thread and field, oldest first."""
        ...

    async def save_adjustment(
        self, workspace_id: int, document: dict[str, object], last_correction: int
    ) -> None: ...


class ThreadEditor(Protocol):
    @property
    def clocks(self) -> ClockWriter: ...

    async def correct(
        self, workspace_id: int, thread_id: int, field: str, value: object, corrected_by: str
    ) -> object:
        """Set the field, record the correction; the old value. NotFoundError if no thread."""
        ...


class ThreadEditStore(Protocol):
    def edit(self) -> AbstractAsyncContextManager[ThreadEditor]: ...


class ReplyDesk(Protocol):
    async def mark_replying(
        self, workspace_id: int, thread_id: int, agent_id: int, at: datetime, since: datetime
    ) -> list[int]: ...

    async def done_replying(self, workspace_id: int, thread_id: int, agent_id: int) -> None: ...


class CommunityAnswerStore(Protocol):
    """The community's answers; every member's read names the member (see
    inbox.store.community)."""

    async def offered(
        self, workspace_id: int, member_id: int, thread_id: int | None = None
    ) -> list[OfferedQuestion]: ...

    async def submit(
        self, workspace_id: int, member_id: int, thread_id: int, body: str
    ) -> int | None: ...

    async def answers_of(
        self, workspace_id: int, member_id: int, limit: int
    ) -> list[MemberAnswer]: ...

    async def credit(self, workspace_id: int, member_id: int, since: datetime) -> Credit: ...

    async def for_review(
        self, workspace_id: int, answer_id: int | None = None, limit: int = 200
    ) -> list[AnswerForReview]: ...

    async def pending_count(self, workspace_id: int) -> int: ...

    async def review(
        self,
        workspace_id: int,
        answer_id: int,
        status: AnswerStatus,
        edited: str | None,
        reviewer_id: int,
        at: datetime,
        note: str | None,
    ) -> tuple[ReviewedAnswer, OutboxItem | None] | None:
        """Reviewed and, unless rejected, queued in the outbox in one transaction; None when
        the answer is not pending."""
        ...


class PasswordCheck(Protocol):
    """Slow on purpose (that is what makes guessing costly): implementations keep the work
    off the event loop and bound how much of it runs at once."""

    async def hash(self, password: SecretStr) -> str: ...

    async def verify(self, stored: str | None, password: SecretStr) -> bool:
        """False for a wrong password or no stored hash, in about the same time."""
        ...


class WebSessionStore(Protocol):
    async def login_of(self, workspace_id: int, email: str) -> AgentLogin | None: ...

    async def set_password(self, workspace_id: int, email: str, password_hash: str) -> bool: ...

    async def create(
        self,
        token_hash: bytes,
        workspace_id: int,
        agent_id: int,
        csrf_token: str,
        expires_at: datetime,
        default_time_zone: str = ...,
    ) -> None:
        """`default_time_zone`: the zone the session's times are shown in while the person
        has chosen none."""
        ...

    async def find(self, token_hash: bytes, now: datetime) -> WebSession | None: ...

    async def delete(self, token_hash: bytes) -> None: ...

    async def set_time_zone(
        self, workspace_id: int, agent_id: int, time_zone: str | None
    ) -> None: ...

    async def count_attempt(
        self, workspace_id: int, email: str, address: str, now: datetime, throttle: LoginThrottle
    ) -> LoginAttempt:
        """Counts the attempt before its password is checked, atomically: of concurrent
        attempts, only as many as the throttle allows get a number."""
        ...

    async def login_succeeded(
        self, workspace_id: int, email: str, address: str, now: datetime, throttle: LoginThrottle
    ) -> None:
        """Clears the address's count and makes the address the person's own."""
        ...


class HandAssignmentStore(Protocol):
    """A person's own assignments of one thread, each in a transaction of its own."""

    async def take(self, workspace_id: int, thread_id: int, agent_id: int, at: datetime) -> bool:
        """Assign an open thread to the agent; False when there is no such open thread."""
        ...

    async def assign(
        self,
        workspace_id: int,
        thread_id: int,
        agent_id: int | None,
        team_id: int | None,
        by_agent_id: int,
        at: datetime,
    ) -> bool:
        """Give an open thread to an active colleague or a team (its agent then cleared);
        False when the thread, the person or the team is not there."""
        ...


class InboxPageQuery(HandAssignmentStore, Protocol):
    async def inbox(
        self,
        workspace_id: int,
        view: str,
        agent_id: int,
        limit: int,
        filters: InboxFilters = ...,
        now: datetime | None = None,
        threads: frozenset[int] | None = None,
    ) -> list[InboxRow]:
        """The view's open threads; snoozed ones only in the "snoozed" view, until `now`
        passes their time. With `threads`, only those of them the view holds."""
        ...

    async def teams_of(self, workspace_id: int, agent_id: int) -> frozenset[int]:
        """The teams the agent belongs to (what their "team" view shows)."""
        ...

    async def view_counts(self, workspace_id: int, agent_id: int, now: datetime) -> dict[str, int]:
        """How many threads each view holds for the agent now, without filters."""
        ...

    async def thread(
        self, workspace_id: int, thread_id: int, viewer_id: int = 0, now: datetime | None = None
    ) -> ThreadPage | None: ...

    async def my_figures(
        self, workspace_id: int, agent_id: int, now: datetime
    ) -> dict[str, int]: ...

    async def search(self, workspace_id: int, words: str, limit: int) -> SearchResults: ...

    async def add_note(
        self,
        workspace_id: int,
        thread_id: int,
        agent_id: int,
        body: str,
        named: frozenset[str] = frozenset(),
    ) -> list[int] | None:
        """Add the note and tell the active colleagues it names (by their handle); the ids of
        those told, or None when the thread does not exist."""
        ...

    async def add_customer_note(
        self, workspace_id: int, thread_id: int, agent_id: int, body: str
    ) -> bool:
        """A note about the thread's customer; False without such a thread or customer."""
        ...

    async def snooze(self, workspace_id: int, thread_id: int, until: datetime | None) -> bool: ...

    async def wake_snoozed(self, workspace_id: int, now: datetime) -> list[int]:
        """Ends the snoozes whose time has come (announcing the threads); their ids."""
        ...

    async def notifications(
        self, workspace_id: int, agent_id: int, limit: int
    ) -> list[PageNotification]: ...

    async def mark_read(self, workspace_id: int, agent_id: int, at: datetime) -> None: ...


class ReplyFactsQuery(Protocol):
    async def reply_facts(self, workspace_id: int, thread_id: int) -> ThreadReplyFacts | None:
        """What a reply to the thread is checked against; None without such a thread."""
        ...


class ListeningConnection(Protocol):
    async def closed(self) -> str:
        """Returns, with the reason, once the connection is gone (however it went)."""
        ...


class ChangeFeed(Protocol):
    def listening(
        self, deliver: Callable[[LiveChange], None]
    ) -> AbstractAsyncContextManager[ListeningConnection]:
        """Opens a connection that calls `deliver(change)` for each change announced while it
        lasts; raises DatabaseUnavailableError (or any error of the driver) when it cannot."""
        ...


class LiveRows(Protocol):
    async def rows(
        self, workspace_id: int, thread_ids: Sequence[int]
    ) -> list[tuple[ThreadState, InboxRow]]:
        """The threads as the inbox views select them and as their rows show them, read now
        in one query; a thread that no longer exists is left out."""
        ...


class CannedStore(Protocol):
    async def all(self, workspace_id: int) -> list[tuple[str, str, str | None]]: ...

    async def replace(
        self, workspace_id: int, responses: Sequence[tuple[str, str, str | None]]
    ) -> None: ...


class WorkspacePreferencesStore(Protocol):
    async def load(self, workspace_id: int) -> WorkspacePreferences | None:
        """None until an admin saved some."""
        ...

    async def save(self, workspace_id: int, preferences: WorkspacePreferences) -> None: ...


class WorkspaceDirectory(Protocol):
    """Every workspace of the instance."""

    async def all(self) -> list[WorkspaceSummary]: ...

    async def create(self, slug: str, name: str) -> int:
        """The new workspace's id; ConfigurationError("slug") when the slug is taken."""
        ...


class PeopleAdminStore(Protocol):
    async def people(self, workspace_id: int) -> list[PersonRecord]: ...

    async def person(self, workspace_id: int, agent_id: int) -> PersonRecord | None: ...

    async def add(
        self,
        workspace_id: int,
        email: str,
        name: str,
        roles: frozenset[Role],
        work: WorkProfile,
        password_hash: str,
    ) -> int:
        """The new person's id; ConfigurationError("email") when someone has the address."""
        ...

    async def save_work(
        self, workspace_id: int, agent_id: int, name: str, work: WorkProfile
    ) -> bool:
        """Name, teams, capacity, languages, networks, topics, shift; False if nobody."""
        ...

    async def save_roles(
        self, workspace_id: int, agent_id: int, roles: frozenset[Role]
    ) -> bool: ...

    async def set_active(self, workspace_id: int, agent_id: int, active: bool) -> bool:
        """Deactivating ends the person's web sessions and revokes their API tokens, in the
        same transaction; their threads, notes and history stay."""
        ...

    async def set_password_hash(self, workspace_id: int, agent_id: int, password_hash: str) -> bool:
        """A new password ends the person's web sessions."""
        ...


class TeamAdminStore(Protocol):
    async def teams(self, workspace_id: int) -> list[TeamProfile]: ...

    async def create(self, workspace_id: int, team: TeamProfile) -> int:
        """ConfigurationError("name") when a team has the name already."""
        ...

    async def save(self, workspace_id: int, team: TeamProfile) -> bool:
        """Rename and re-profile the team `team.team_id`; False when it does not exist."""
        ...


class AccountAdminStore(Protocol):
    """Connected accounts as admins manage them. Secrets go in and never come back out:
    only the names of those set are read."""

    async def credential_names(self, workspace_id: int) -> dict[int, tuple[str, ...]]: ...

    async def add_account(
        self, workspace_id: int, network: str, external_id: str, handle: str
    ) -> int: ...

    async def set_credentials(
        self, workspace_id: int, account_id: int, secrets: Mapping[str, SecretStr]
    ) -> bool:
        """Store these secrets (others the account has are kept); False if no account."""
        ...

    async def set_enabled(self, workspace_id: int, account_id: int, enabled: bool) -> bool: ...


class InboundSourceStore(Protocol):
    """Sources that push events to the inbox, with their secrets unsealed."""

    async def find(self, workspace_slug: str, name: str) -> InboundSource | None: ...

    async def add(
        self,
        workspace_id: int,
        name: str,
        kind: SourceKind,
        secret: SecretStr,
        *,
        verify_token: SecretStr | None = None,
        access_token: SecretStr | None = None,
        settings: dict[str, Any] | None = None,
        accounts: dict[Network, tuple[str, str]] | None = None,
    ) -> InboundSource | None:
        """None when the workspace already has a source of that name."""
        ...

    async def all(self, workspace_id: int) -> list[SourceSummary]: ...

    async def remove(self, workspace_id: int, name: str) -> bool: ...


class InboundFormat(Protocol):
    """How one kind of source signs its deliveries and what they contain."""

    def verify(
        self, source: InboundSource, body: bytes, headers: Mapping[str, str], now: datetime
    ) -> None:
        """Raises SignatureRejected; runs before anything of the body is read."""
        ...

    async def parse(self, source: InboundSource, body: bytes) -> ParsedDelivery:
        """Mentions and rejects; never raises on bad input."""
        ...


# Incidents (outage signals) ------------------------------------------------------------------
# Imported here, not at the top, so that this block stays one appended piece.
from inbox.domain.incidents import (  # noqa: E402
    BulkMessage,
    ComplaintCount,
    Detection,
    Incident,
    IncidentBanner,
    IncidentDetail,
    IncidentPoint,
    IncidentSettings,
)

# Re-plans the SLA clocks of these threads on the writer of the transaction that changed what
# they count (KeepClocks.keep): a major incident's window opened, closed, or gained threads.
ReplanClocks = Callable[[ClockWriter, int, Sequence[int]], Awaitable[None]]


class IncidentIngestWriter(Protocol):
    """Incident work on an ingestion batch's open transaction."""

    async def new_complaints(
        self, workspace_id: int, thread_ids: Sequence[int]
    ) -> list[ComplaintCount]:
        """The customer complaints this transaction wrote on these threads."""
        ...

    async def link_new(self, workspace_id: int, thread_ids: Sequence[int]) -> int:
        """Link this transaction's complaints to the open incidents they match."""
        ...


class IncidentIngestLink(Protocol):
    def within(self, tx: IngestTransaction) -> IncidentIngestWriter: ...


class IncidentStore(Protocol):
    async def complaint_history(self, since: datetime, until: datetime) -> list[ComplaintCount]:
        """Complaints per workspace, minute and slice: one row per group, in time order."""
        ...

    async def all_settings(self) -> dict[int, IncidentSettings]:
        """Every workspace's settings (defaults where none were saved)."""
        ...

    async def settings(self, workspace_id: int) -> IncidentSettings: ...

    async def save_settings(self, workspace_id: int, settings: IncidentSettings) -> None: ...

    async def open_detected(
        self, workspace_id: int, detection: Detection, replan: ReplanClocks | None = None
    ) -> tuple[Incident, bool]:
        """Open the workspace's detector incident, or join the open one (False); threads
        matching it are linked, and an opening is announced (webhooks, live pages). Threads
        newly linked to a major incident get their clocks re-planned by `replan`."""
        ...

    async def open_detected_incidents(self) -> list[Incident]: ...

    async def add_points(
        self, workspace_id: int, incident_id: int, points: Sequence[IncidentPoint]
    ) -> None: ...

    async def set_normal(
        self, workspace_id: int, incident_id: int, normal: bool, now: datetime
    ) -> datetime | None:
        """Record whether every series is normal; the answer is since when it has been."""
        ...

    async def keyword_texts(
        self, workspace_id: int, incident_id: int, baseline: timedelta
    ) -> tuple[list[str], list[str]]:
        """The texts of its linked complaints since it began, and of the workspace's
        complaints over `baseline` before it (both bounded)."""
        ...

    async def save_keywords(
        self, workspace_id: int, incident_id: int, keywords: Sequence[str]
    ) -> None:
        """A detected incident's keywords (a declared one keeps the words ops gave)."""
        ...

    async def open_manual(
        self,
        workspace_id: int,
        agent_id: int,
        *,
        title: str,
        topics: Sequence[str],
        keywords: Sequence[str],
        places: Sequence[str],
        major: bool,
        started_at: datetime,
        now: datetime,
        replan: ReplanClocks | None = None,
    ) -> Incident: ...

    async def close(
        self,
        workspace_id: int,
        incident_id: int,
        now: datetime,
        agent_id: int | None,
        replan: ReplanClocks | None = None,
    ) -> Incident | None:
        """Close it if open (announced once), ending its major period; None when it was not
        open."""
        ...

    async def merge(
        self,
        workspace_id: int,
        incident_id: int,
        into_id: int,
        now: datetime,
        agent_id: int,
        replan: ReplanClocks | None = None,
    ) -> Incident:
        """Move its threads to `into_id` and mark it merged; the answer is the target."""
        ...

    async def set_major(
        self,
        workspace_id: int,
        incident_id: int,
        major: bool,
        now: datetime,
        replan: ReplanClocks | None = None,
    ) -> Incident | None:
        """Declare an open incident major from `now` (or no longer major); its linked
        threads' clocks are re-planned in the same transaction. None when it is not open."""
        ...

    async def sla_settings(self, workspace_id: int) -> SlaSettings | None:
        """The workspace's SLA settings: whether its policies suspend clocks."""
        ...

    async def recent(self, workspace_id: int, limit: int) -> list[Incident]: ...

    async def count_open(self, workspace_id: int) -> int: ...

    async def detail(self, workspace_id: int, incident_id: int) -> IncidentDetail | None: ...

    async def for_thread(self, workspace_id: int, thread_id: int) -> list[IncidentBanner]: ...

    async def enqueue_bulk(
        self, workspace_id: int, incident_id: int, message: BulkMessage, body: str, now: datetime
    ) -> int:
        """One outbox item per linked author (their latest linked thread), keyed so that a
        repeat queues nothing new; the answer is how many were queued now."""
        ...


class MediaLookup(Protocol):
    async def attachment(
        self, workspace_id: int, network: str, external_id: str, index: int
    ) -> MediaAttachment | None:
        """One stored attachment of a message, by its index; None when the message or the
        attachment is not there (erased, or never was)."""
        ...


class ImageFetcher(Protocol):
    """Fetches a picture for the image proxy, from where the egress policy allows only."""

    def running(self) -> AbstractAsyncContextManager[None]:
        """Holds the fetcher's connections while the application serves."""
        ...

    async def fetch(self, url: str) -> FetchedImage:
        """The picture at `url`: an accepted image (by its bytes), within the proxy's bounds of
        size, time and redirects (inbox/domain/media_proxy.py); MediaUnavailableError
        otherwise, saying why."""


# Adoption (whether the inbox is used, by team) -------------------------------------------------
from inbox.domain.adoption import AnswerWeek, PersonWeeks, Team, TeamWeek  # noqa: E402


class AdoptionQuery(Protocol):
    """Who acted on threads through the inbox, and how the brand's answers were posted,
    week by week in the reader's zone (see inbox/domain/adoption.py)."""

    async def started(self, workspace_id: int) -> datetime | None:
        """Its creation, or its first customer message if that is earlier."""
        ...

    async def teams(self, workspace_id: int) -> list[Team]: ...

    async def active_by_team(
        self, workspace_id: int, since: datetime, until: datetime, time_zone: str
    ) -> list[TeamWeek]: ...

    async def weeks_by_person(
        self,
        workspace_id: int,
        since: datetime,
        until: datetime,
        time_zone: str,
        agent_id: int | None = None,
    ) -> list[PersonWeeks]:
        """Each person's active weeks (one person's with `agent_id`)."""
        ...

    async def answers(
        self, workspace_id: int, since: datetime, until: datetime, time_zone: str
    ) -> list[AnswerWeek]: ...


# The incident pages' reading (history, shared facts, linked threads) ---------------------------
from inbox.domain.incident_history import IncidentFacts  # noqa: E402


class IncidentHistoryQuery(Protocol):
    async def complaint_counts(
        self,
        workspace_id: int,
        incident_id: int,
        start: datetime,
        end: datetime,
        width: timedelta,
        days_before: int,
    ) -> dict[int, int]:
        """The complaints the incident matches per bucket of `width` from `start` (negative
        indexes: the `days_before` days before it) until `end`."""
        ...

    async def known_since(self, workspace_id: int) -> datetime | None:
        """Since when the workspace has history."""
        ...

    async def facts(
        self, workspace_id: int, incident_ids: Sequence[int]
    ) -> dict[int, IncidentFacts]: ...

    async def linked_rows(self, workspace_id: int, incident_id: int, limit: int) -> list[InboxRow]:
        """Its linked threads as the inbox shows them, those still open first."""
        ...
