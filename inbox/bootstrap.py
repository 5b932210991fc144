"""The composition root: the one place that builds adapters and wires them into use cases.

The web process gets its services from `build_services`. `run_workers` builds a worker's parts
and hands them to `inbox.worker`, which runs them (the connectors' accounts are wired in
`inbox.connector_wiring`, each network by its own `connectors/<network>/wiring.py`).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg
import platformdirs
from pydantic import SecretStr

from connectors.common.egress import CheckedDestinations
from connectors.common.image_fetch import GuardedImageFetcher
from connectors.meta.graph import graph_session
from connectors.meta.inbound import MetaFormat
from connectors.webhooks.inbound_generic import GenericFormat
from inbox.domain.clock import utc_now
from inbox.domain.egress import PUBLIC_ONLY, EgressPolicy
from inbox.domain.errors import ConfigurationError, DatabaseUnavailableError
from inbox.domain.inbound_webhooks import SourceKind
from inbox.ports.ingest import MentionClassifier
from inbox.ports.workers import WorkerProcesses
from inbox.settings import Settings
from inbox.store.admin_accounts import PgAccountAdmin
from inbox.store.admin_people import PgPeopleAdmin, PgTeamAdmin
from inbox.store.admin_webhooks import KeyOnFirstUseWebhookStore
from inbox.store.admin_workspaces import PgWorkspaceDirectory, PgWorkspacePreferences
from inbox.store.adoption import PgAdoptionQuery
from inbox.store.audit import PgAuditTrail
from inbox.store.bulk import PgBulkStore
from inbox.store.canned import PgCannedStore
from inbox.store.community import PgCommunityAnswers
from inbox.store.connector_state import PgChannelQuery, PgConnectorState
from inbox.store.corrections import PgThreadEdits
from inbox.store.credentials import PgCredentialStore
from inbox.store.customer_rights import PgCustomerRights
from inbox.store.customers import PgCustomers
from inbox.store.database import Database, Reads
from inbox.store.embedded import APP_NAME, EmbeddedPostgres, default_data_dir, ensure_database
from inbox.store.exports import PgExports
from inbox.store.health import PgHealthCheck
from inbox.store.inbound_webhooks import PgInboundSourceStore
from inbox.store.inbox_pages import PgInboxPages
from inbox.store.incident_history import PgIncidentHistory
from inbox.store.incidents import PgIncidentStore
from inbox.store.ingest import PgIngestStore
from inbox.store.live import PgChangeFeed, PgLiveRows
from inbox.store.media import PgMediaLookup
from inbox.store.migrate import migrate
from inbox.store.outbox import PgOutboxStore
from inbox.store.passwords import Argon2Passwords
from inbox.store.people import PgPeopleStore
from inbox.store.replica import ReplicaReads
from inbox.store.reply_desk import PgReplyDesk
from inbox.store.retention import PgRetentionStore
from inbox.store.routing import PgRoutingStore
from inbox.store.secret_box import SecretBox, load_or_create_key
from inbox.store.sla_reports import PgSlaGauges, PgSlaReports
from inbox.store.sla_settings import PgSlaQuery, PgSlaSettingsStore
from inbox.store.thread_detail import PgThreadDetail
from inbox.store.threads import PgThreadQuery
from inbox.store.tokens import PgTokenStore
from inbox.store.two_factor import PgTwoFactor
from inbox.store.web_sessions import PgWebSessions
from inbox.store.webhooks import PgWebhookStore
from inbox.store.worker_processes import open_worker_processes
from inbox.store.workspaces import PgWorkspaceStore
from inbox.usecases.accounts import ConnectAccounts
from inbox.usecases.admin import AdminServices
from inbox.usecases.admin_accounts import ManageAccounts
from inbox.usecases.admin_calendars import ManageCalendars
from inbox.usecases.admin_canned import ManageCanned
from inbox.usecases.admin_people import ManagePeople
from inbox.usecases.admin_preferences import ManageWorkspacePreferences
from inbox.usecases.admin_routing import ManageRouting
from inbox.usecases.admin_sla import ManageSlaPolicies
from inbox.usecases.admin_teams import ManageTeams
from inbox.usecases.admin_webhooks import AdminWebhooks
from inbox.usecases.admin_workspaces import ManageWorkspaces
from inbox.usecases.adoption import Adoption
from inbox.usecases.assignment import AssignWaiting, ClaimNext
from inbox.usecases.audit import AuditLog
from inbox.usecases.bulk import BulkActions
from inbox.usecases.canned import CannedResponses
from inbox.usecases.channels import ListChannels
from inbox.usecases.customer_rights import CustomerRights
from inbox.usecases.customers import Customers
from inbox.usecases.exports import Exports
from inbox.usecases.file_import import ImportBatches
from inbox.usecases.group_commit import GroupCommit
from inbox.usecases.health import CheckHealth, HealthBoard
from inbox.usecases.inbound_webhooks import ManageWebhookSources, ReceiveWebhooks
from inbox.usecases.incident_pages import IncidentPages
from inbox.usecases.incidents import Incidents, WatchComplaints
from inbox.usecases.incidents_watch import ComplaintWatcher
from inbox.usecases.ingest import IngestMentions
from inbox.usecases.ingest_classify import ClassifyInProcesses, warm_classifier
from inbox.usecases.live import LiveUpdates
from inbox.usecases.media import MediaLinks, MediaProxy
from inbox.usecases.people import SaveAgents
from inbox.usecases.replies import CommunityAnswers, Replies, ThreadCalendars
from inbox.usecases.retention import ManageRetention
from inbox.usecases.routing import (
    ClassifyMentions,
    CorrectClassification,
    RouteThreads,
    RoutingSettings,
    SetStatus,
)
from inbox.usecases.routing_config import RoutingConfigs
from inbox.usecases.services import Services
from inbox.usecases.setup import WorkspaceSetup
from inbox.usecases.sla import KeepClocks
from inbox.usecases.sla_close import CloseWithoutReply
from inbox.usecases.sla_explain import ExplainThreadSla
from inbox.usecases.sla_reports import SlaNow, SlaReport
from inbox.usecases.sla_settings import SaveSlaSettings
from inbox.usecases.thread_detail import ThreadDetails
from inbox.usecases.threads import ListThreads
from inbox.usecases.time_zones import TeamTimeZones
from inbox.usecases.tokens import ApiTokens
from inbox.usecases.two_factor import TwoFactor
from inbox.usecases.web_auth import WebLogins
from inbox.usecases.web_pages import InboxPages
from inbox.usecases.webhooks import ManageWebhooks

log = logging.getLogger(__name__)

EMBEDDED_DATABASE = "inbox"


@dataclass(frozen=True, slots=True)
class Runtime:
    settings: Settings
    db: Database
    services: Services
    workspaces: PgWorkspaceStore
    default_workspace_id: int


def build_services(
    db: Database,
    keys: Callable[[], SecretBox] | None = None,
    *,
    egress: EgressPolicy = PUBLIC_ONLY,
    replica: ReplicaReads | None = None,
    classifier_processes: WorkerProcesses | None = None,
) -> Services:
    """`keys` gives the box that seals stored secrets, asked for when one is first sealed or
    opened; without it (tests, benchmarks) secrets are sealed with a key of this process only.
    `egress` says where addresses typed into the admin pages, and the image proxy, may lead
    (no internal address by default). With a `replica`, dashboards, reports, incident
    history and search read there while it keeps up. With `classifier_processes`, ingestion
    classifies its batches there rather than in a thread of this process."""
    reads: Reads = replica or db
    clocks = KeepClocks()
    box = keys or _process_key()
    media_key = functools.cache(lambda: box().derived_key("media links"))
    media_links = MediaLinks(media_key, clock=utc_now)
    routing = RoutingConfigs()
    # The detector's watch: fed only while this process's worker leads the detection.
    watcher = ComplaintWatcher()
    board = HealthBoard()  # this process's parts report here; /healthz and run_workers read it
    live = LiveUpdates(PgChangeFeed(db), PgLiveRows(db))
    board.watch("listener", live.health)
    # One hasher for the process: it holds the bound on how many argon2 runs go at once.
    passwords = Argon2Passwords()
    # Seats freed (a thread closed or handed over, someone back) go to waiting threads.
    waiting = AssignWaiting(PgRoutingStore(db), routing, clock=utc_now)
    close = CloseWithoutReply(PgSlaSettingsStore(db), clocks, clock=utc_now, waiting=waiting)
    web_logins = WebLogins(
        PgWebSessions(db), passwords, clock=utc_now, zones=TeamTimeZones(PgSlaQuery(db), clocks)
    )
    customers = Customers(PgCustomers(db), PgAuditTrail(db))
    return Services(
        ingest=_ingestion(db, routing, clocks, customers, classifier_processes),
        list_threads=ListThreads(PgThreadQuery(db)),
        tokens=ApiTokens(PgTokenStore(db)),
        health=CheckHealth(PgHealthCheck(db), board),
        list_channels=ListChannels(PgChannelQuery(db)),
        sla_report=SlaReport(PgSlaReports(reads), clock=utc_now),
        sla_now=SlaNow(PgSlaGauges(db), clock=utc_now),
        explain_sla=ExplainThreadSla(PgSlaQuery(db), clocks, clock=utc_now),
        sla_settings=SaveSlaSettings(PgSlaSettingsStore(db), clocks),
        close_without_reply=close,
        correct_classification=CorrectClassification(PgThreadEdits(db), clocks, PgAuditTrail(db)),
        claim_next=ClaimNext(PgRoutingStore(db), clock=utc_now),
        routing_settings=RoutingSettings(PgRoutingStore(db)),
        replies=Replies(
            PgReplyDesk(db),
            PgOutboxStore(db),
            PgInboxPages(db),
            ThreadCalendars(PgSlaQuery(db), clocks),
            PgAuditTrail(db),
            utc_now,
        ),
        community_answers=CommunityAnswers(PgCommunityAnswers(db), utc_now),
        web_logins=web_logins,
        inbox_pages=InboxPages(
            PgInboxPages(db, reads), audit=PgAuditTrail(db), media=media_links, waiting=waiting
        ),
        live=live,
        canned=CannedResponses(PgCannedStore(db)),
        workspace_preferences=ManageWorkspacePreferences(PgWorkspacePreferences(db)),
        admin=_admin_services(db, clocks, box, egress, passwords),
        incidents=Incidents(PgIncidentStore(db), watcher, clock=utc_now, clocks=clocks),
        media=MediaProxy(
            media_links, PgMediaLookup(db), GuardedImageFetcher(egress), clock=utc_now
        ),
        incident_pages=IncidentPages(PgIncidentHistory(reads)),
        adoption=Adoption(PgAdoptionQuery(reads), PgWorkspacePreferences(db)),
        clock=utc_now,
        bulk=BulkActions(PgBulkStore(db), close, waiting, PgAuditTrail(db), clock=utc_now),
        set_status=SetStatus(PgRoutingStore(db), waiting),
        two_factor=TwoFactor(PgTwoFactor(db, box), web_logins, passwords, clock=utc_now),
        audit=AuditLog(PgAuditTrail(db)),
        thread_details=ThreadDetails(PgThreadDetail(db), PgInboxPages(db), PgAuditTrail(db)),
        exports=Exports(PgExports(reads), PgAuditTrail(db)),
        retention=ManageRetention(PgRetentionStore(db), PgAuditTrail(db), clock=utc_now),
        replica=replica.state if replica is not None else None,
        customers=customers,
        customer_rights=CustomerRights(PgCustomerRights(db), PgAuditTrail(db), clock=utc_now),
    )


def _ingestion(
    db: Database,
    routing: RoutingConfigs,
    clocks: KeepClocks,
    customers: Customers,
    classifier_processes: WorkerProcesses | None,
) -> IngestMentions:
    in_thread = ClassifyMentions(PgRoutingStore(db), routing)
    classifier: MentionClassifier = (
        in_thread
        if classifier_processes is None
        else ClassifyInProcesses(PgRoutingStore(db), classifier_processes, fallback=in_thread)
    )
    # Rules and assignment first: a rule's priority or "no reply needed" is what the clocks
    # then see, in the same transaction. Incident links before the clocks too: a thread
    # linked to a major incident starts suspended where its policy says so.
    return IngestMentions(
        PgIngestStore(db),
        classifier=classifier,
        hooks=[RouteThreads(routing, clock=utc_now), WatchComplaints(), clocks],
        # Once stored, a new customer whose certain evidence names another is merged into it.
        followers=[customers.after_ingest],
    )


def _admin_services(
    db: Database,
    clocks: KeepClocks,
    keys: Callable[[], SecretBox],
    egress: EgressPolicy,
    passwords: Argon2Passwords,
) -> AdminServices:
    sla = SaveSlaSettings(PgSlaSettingsStore(db), clocks)
    teams = PgTeamAdmin(db)
    trail = PgAuditTrail(db)
    return AdminServices(
        workspaces=ManageWorkspaces(PgWorkspaceDirectory(db), trail),
        people=ManagePeople(PgPeopleAdmin(db), teams, passwords),
        teams=ManageTeams(teams, trail),
        calendars=ManageCalendars(sla, trail, clock=utc_now),
        sla=ManageSlaPolicies(sla, teams, trail),
        routing=ManageRouting(RoutingSettings(PgRoutingStore(db)), trail),
        canned=ManageCanned(CannedResponses(PgCannedStore(db))),
        accounts=ManageAccounts(ListChannels(PgChannelQuery(db)), PgAccountAdmin(db, keys), trail),
        webhooks=AdminWebhooks(
            ManageWebhooks(KeyOnFirstUseWebhookStore(db, keys), CheckedDestinations(egress)),
            trail,
        ),
    )


def _process_key() -> Callable[[], SecretBox]:
    return functools.cache(lambda: SecretBox(SecretStr(SecretBox.new_key())))


@asynccontextmanager
async def open_database(settings: Settings, *, apply_migrations: bool) -> AsyncIterator[Database]:
    """The configured database (embedded when no DATABASE_URL), migrated, closed on exit."""
    embedded: EmbeddedPostgres | None = None
    if settings.database_url is None:
        embedded = EmbeddedPostgres(settings.data_dir or default_data_dir())
        admin_dsn = await asyncio.to_thread(embedded.start)
        try:
            dsn = await ensure_database(embedded, admin_dsn, EMBEDDED_DATABASE)
        except (OSError, asyncpg.PostgresError) as exc:
            await asyncio.to_thread(embedded.stop)
            raise DatabaseUnavailableError(f"embedded PostgreSQL is not usable: {exc}") from exc
        log.info("embedded postgres ready", extra={"action": "database_ready", "embedded": True})
    else:
        dsn = settings.database_url.get_secret_value()
    direct = settings.direct_database_url
    try:
        db = await Database.connect(
            dsn,
            size=settings.pool_size,
            direct_dsn=direct.get_secret_value() if direct is not None else None,
            statement_cache_size=settings.statement_cache_size,
        )
        try:
            if apply_migrations:
                # The migration lock is a session's: on the server itself, not a pooler.
                async with db.dedicated() as conn:
                    applied = await migrate(conn)
                if applied:
                    log.info("schema migrated", extra={"action": "migrate", "versions": applied})
            yield db
        finally:
            await db.close()
    finally:
        if embedded is not None:
            await asyncio.to_thread(embedded.stop)


@asynccontextmanager
async def open_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    async with (
        open_database(settings, apply_migrations=True) as db,
        open_replica(settings, db) as replica,
        open_classifier_processes(settings.classifier_process_count()) as classifier,
    ):
        workspaces = PgWorkspaceStore(db)
        workspace_id = await workspaces.ensure_workspace(settings.workspace, settings.workspace)
        keys = functools.cache(lambda: secret_box(settings))
        services = build_services(
            db,
            keys,
            egress=settings.egress_policy(),
            replica=replica,
            classifier_processes=classifier,
        )
        yield Runtime(settings, db, services, workspaces, workspace_id)


@asynccontextmanager
async def open_classifier_processes(
    count: int, *, warm: bool = False
) -> AsyncIterator[WorkerProcesses | None]:
    """The processes that classify ingested batches (None: 0, a thread of this process does).
    They start with the first batch, or here with `warm`: a command that ingests nothing pays
    nothing for them."""
    if count == 0:
        yield None
        return
    # The fork server imports the classifier once; each process loads its models as it starts.
    async with open_worker_processes(
        count, warm_up=warm_classifier, preload=["inbox.usecases.ingest_classify"]
    ) as processes:
        if warm:
            await processes.warm()
        yield processes


@asynccontextmanager
async def open_replica(settings: Settings, db: Database) -> AsyncIterator[ReplicaReads | None]:
    """The read replica INBOX_READ_DATABASE_URL names, if any. Its pool opens connections
    when first asked: a replica down at start sends reads to the primary until it is up."""
    if settings.read_database_url is None:
        yield None
        return
    replica = await Database.connect(
        settings.read_database_url.get_secret_value(),
        size=settings.pool_size,
        min_size=0,
        statement_cache_size=settings.statement_cache_size,
    )
    try:
        yield ReplicaReads(db, replica, settings.replica_max_lag_seconds)
    finally:
        await replica.close()


def secret_box(settings: Settings) -> SecretBox:
    """The key that seals stored credentials: INBOX_SECRET_KEY, else the key file (generated
    on first use only for the embedded default)."""
    settings.require_lasting_secret_key()
    if settings.secret_key is not None:
        return SecretBox(settings.secret_key)
    key_file = settings.secret_key_file or platformdirs.user_data_path(APP_NAME) / "secret.key"
    try:
        return SecretBox(load_or_create_key(key_file))
    except OSError as exc:
        raise ConfigurationError(
            "INBOX_SECRET_KEY_FILE", f"cannot read or create {key_file}: {exc.strerror}"
        ) from exc


def new_secret_key() -> str:
    """A key for INBOX_SECRET_KEY (or the file INBOX_SECRET_KEY_FILE names)."""
    return SecretBox.new_key()


def credential_store(settings: Settings, db: Database) -> PgCredentialStore:
    return PgCredentialStore(db, secret_box(settings))


def webhook_store(settings: Settings, db: Database) -> PgWebhookStore:
    return PgWebhookStore(db, secret_box(settings))


def manage_webhooks(settings: Settings, db: Database) -> ManageWebhooks:
    destinations = CheckedDestinations(settings.egress_policy())
    return ManageWebhooks(webhook_store(settings, db), destinations)


def manage_webhook_sources(settings: Settings, db: Database) -> ManageWebhookSources:
    return ManageWebhookSources(
        PgInboundSourceStore(db, secret_box(settings)),
        CheckedDestinations(settings.egress_policy()),
    )


def workspace_setup(runtime: Runtime) -> WorkspaceSetup:
    """The use cases the command line and the demo set the workspace up with."""
    settings, db = runtime.settings, runtime.db
    return WorkspaceSetup(
        accounts=ConnectAccounts(
            runtime.workspaces, functools.cache(lambda: credential_store(settings, db))
        ),
        agents=SaveAgents(PgPeopleStore(db), runtime.services.web_logins),
        imports=ImportBatches(PgConnectorState(db), runtime.services.ingest.ingest_many),
    )


@asynccontextmanager
async def inbound_webhooks(settings: Settings, runtime: Runtime) -> AsyncIterator[ReceiveWebhooks]:
    """The receiver of signed webhook deliveries, with the session its Meta look-ups use."""
    session = graph_session(settings.egress_policy())
    try:
        yield ReceiveWebhooks(
            PgInboundSourceStore(runtime.db, secret_box(settings)),
            {SourceKind.META: MetaFormat(session), SourceKind.GENERIC: GenericFormat()},
            # Deliveries that arrive together share a transaction.
            GroupCommit(runtime.services.ingest),
            clock=utc_now,
        )
    finally:
        await session.close()
