"""The composition root: the one place that builds adapters and wires them into use cases."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import asyncpg
import platformdirs
from pydantic import SecretStr

from connectors.bluesky.outbound import BlueskyOutboundChannel
from connectors.bluesky.poller import BlueskyAccount, BlueskyPoller
from connectors.bluesky.runner import BlueskyAccountRunner
from connectors.bluesky.xrpc import BlueskyApi, BlueskyCredentials, bluesky_session
from connectors.common.account_runner import AccountRunner
from connectors.common.egress import CheckedDestinations
from connectors.common.image_fetch import GuardedImageFetcher
from connectors.mastodon.api import MastodonApi, mastodon_session
from connectors.mastodon.outbound import MastodonOutboundChannel
from connectors.mastodon.poller import MastodonAccount, MastodonPoller
from connectors.mastodon.runner import MastodonAccountRunner
from connectors.mastodon.stream import MastodonStream
from connectors.meta.graph import GRAPH_URL, GraphApi, graph_session
from connectors.meta.inbound import MetaFormat
from connectors.meta.outbound import MetaOutboundChannel
from connectors.webhooks.inbound_generic import GenericFormat
from connectors.webhooks.outbound import AiohttpWebhookPoster, webhook_session
from connectors.x.api import XApi, XCredentials
from connectors.x.budget import PollingPlan, ReadBudget
from connectors.x.outbound import XOutboundChannel
from connectors.x.poller import XAccount, XPoller
from connectors.x.runner import XAccountRunner
from connectors.x.session import parse_address, stream_timeout, x_api_session
from connectors.x.stream import XStream, desired_rules
from inbox.domain.egress import PUBLIC_ONLY, EgressPolicy
from inbox.domain.errors import ConfigurationError, DatabaseUnavailableError
from inbox.domain.inbound_webhooks import SourceKind
from inbox.domain.network import Network
from inbox.domain.outbox import DeliveryError
from inbox.ports import OutboundChannel
from inbox.settings import Settings
from inbox.store.admin_accounts import PgAccountAdmin
from inbox.store.admin_people import PgPeopleAdmin, PgTeamAdmin
from inbox.store.admin_webhooks import KeyOnFirstUseWebhookStore
from inbox.store.admin_workspaces import PgWorkspaceDirectory, PgWorkspacePreferences
from inbox.store.adoption import PgAdoptionQuery
from inbox.store.bulk import PgBulkStore
from inbox.store.canned import PgCannedStore
from inbox.store.community import PgCommunityAnswers
from inbox.store.connector_state import (
    PgApiUsageLedger,
    PgChannelHealthStore,
    PgChannelQuery,
    PgConnectorState,
)
from inbox.store.corrections import PgCorrectionStore
from inbox.store.credentials import PgCredentialStore
from inbox.store.database import Database
from inbox.store.embedded import APP_NAME, EmbeddedPostgres, default_data_dir
from inbox.store.health import PgHealthCheck
from inbox.store.inbound_webhooks import PgInboundSourceStore
from inbox.store.inbox_pages import PgInboxPages
from inbox.store.incident_history import PgIncidentHistory
from inbox.store.incidents import PgIncidentIngestLink, PgIncidentStore
from inbox.store.ingest import PgIngestStore
from inbox.store.live import PgChangeFeed, PgLiveRows
from inbox.store.media import PgMediaLookup
from inbox.store.migrate import migrate
from inbox.store.outbox import PgOutboxStore
from inbox.store.passwords import Argon2Passwords
from inbox.store.people import PgPeopleStore
from inbox.store.routing import PgReplyDesk, PgRoutingStore, PgThreadEdits
from inbox.store.secret_box import SecretBox, load_or_create_key
from inbox.store.sla_alerts import PgSlaDispatchStore
from inbox.store.sla_clocks import PgSlaQuery, PgSlaSettingsStore
from inbox.store.sla_reports import PgSlaGauges, PgSlaReports
from inbox.store.sla_timer import PgShiftReports, PgSlaTimerStore
from inbox.store.threads import PgThreadQuery
from inbox.store.tokens import PgTokenStore
from inbox.store.web_sessions import PgWebSessions
from inbox.store.webhooks import PgWebhookStore
from inbox.store.workspaces import PgWorkspaceStore
from inbox.supervise import Supervisor
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
from inbox.usecases.bulk import BulkActions
from inbox.usecases.canned import CannedResponses
from inbox.usecases.channels import ListChannels
from inbox.usecases.file_import import ImportBatches
from inbox.usecases.group_commit import GroupCommit
from inbox.usecases.health import CheckHealth, HealthBoard
from inbox.usecases.inbound_webhooks import ManageWebhookSources, ReceiveWebhooks
from inbox.usecases.incident_pages import IncidentPages
from inbox.usecases.incidents import Incidents, IncidentTimer, WatchComplaints
from inbox.usecases.incidents_watch import ComplaintWatcher
from inbox.usecases.ingest import IngestMentions
from inbox.usecases.learning import LearnFromCorrections
from inbox.usecases.live import LiveUpdates
from inbox.usecases.media import MediaLinks, MediaProxy
from inbox.usecases.outbox import SendOutbox, SendPolicy
from inbox.usecases.people import SaveAgents
from inbox.usecases.replies import CommunityAnswers, Replies, ThreadCalendars
from inbox.usecases.routing import (
    AssignWaiting,
    ClaimNext,
    ClassifyMentions,
    CorrectClassification,
    FollowShifts,
    ReassignStale,
    RouteThreads,
    RoutingConfigs,
    RoutingSettings,
    SetStatus,
)
from inbox.usecases.services import Services
from inbox.usecases.setup import WorkspaceSetup
from inbox.usecases.sla import CloseWithoutReply, KeepClocks, SaveSlaSettings
from inbox.usecases.sla_alerts import DispatchSlaEvents
from inbox.usecases.sla_explain import ExplainThreadSla
from inbox.usecases.sla_reports import SlaNow, SlaReport
from inbox.usecases.sla_timer import SlaTimer
from inbox.usecases.threads import ListThreads
from inbox.usecases.time_zones import TeamTimeZones
from inbox.usecases.tokens import ApiTokens
from inbox.usecases.web_auth import WebLogins
from inbox.usecases.web_pages import InboxPages
from inbox.usecases.webhooks import DeliverWebhooks, ManageWebhooks

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
) -> Services:
    """`keys` gives the box that seals stored secrets, asked for when one is first sealed or
    opened; without it (tests, benchmarks) secrets are sealed with a key of this process only.
    `egress` says where addresses typed into the admin pages, and the image proxy, may lead
    (no internal address by default)."""
    clocks = KeepClocks()
    box = keys or _process_key()
    media_key = functools.cache(lambda: box().derived_key("media links"))
    media_links = MediaLinks(media_key, clock=utc_now)
    routing = RoutingConfigs()
    watcher = ComplaintWatcher()  # this process's complaint counts; the worker's timer reads it
    board = HealthBoard()  # this process's parts report here; /healthz and run_workers read it
    live = LiveUpdates(PgChangeFeed(db), PgLiveRows(db))
    board.watch("listener", live.health)
    # One hasher for the process: it holds the bound on how many argon2 runs go at once.
    passwords = Argon2Passwords()
    # Seats freed (a thread closed or handed over, someone back) go to waiting threads.
    waiting = AssignWaiting(PgRoutingStore(db), routing, clock=utc_now)
    close = CloseWithoutReply(PgSlaSettingsStore(db), clocks, clock=utc_now, waiting=waiting)
    return Services(
        # Rules and assignment first: a rule's priority or "no reply needed" is what the
        # clocks then see, in the same transaction. Incident links before the clocks too: a
        # thread linked to a major incident starts suspended where its policy says so.
        ingest=IngestMentions(
            PgIngestStore(db),
            classifier=ClassifyMentions(PgRoutingStore(db), routing),
            hooks=[
                RouteThreads(routing, clock=utc_now),
                WatchComplaints(PgIncidentIngestLink(), watcher),
                clocks,
            ],
        ),
        list_threads=ListThreads(PgThreadQuery(db)),
        tokens=ApiTokens(PgTokenStore(db)),
        health=CheckHealth(PgHealthCheck(db), board),
        list_channels=ListChannels(PgChannelQuery(db)),
        sla_report=SlaReport(PgSlaReports(db), clock=utc_now),
        sla_now=SlaNow(PgSlaGauges(db), clock=utc_now),
        explain_sla=ExplainThreadSla(PgSlaQuery(db), clocks, clock=utc_now),
        sla_settings=SaveSlaSettings(PgSlaSettingsStore(db), clocks),
        close_without_reply=close,
        correct_classification=CorrectClassification(PgThreadEdits(db), clocks),
        claim_next=ClaimNext(PgRoutingStore(db), clock=utc_now),
        routing_settings=RoutingSettings(PgRoutingStore(db)),
        replies=Replies(
            PgReplyDesk(db),
            PgOutboxStore(db),
            PgInboxPages(db),
            ThreadCalendars(PgSlaQuery(db), clocks),
            utc_now,
        ),
        community_answers=CommunityAnswers(PgCommunityAnswers(db), utc_now),
        web_logins=WebLogins(
            PgWebSessions(db), passwords, clock=utc_now, zones=TeamTimeZones(PgSlaQuery(db), clocks)
        ),
        inbox_pages=InboxPages(PgInboxPages(db), media=media_links, waiting=waiting),
        live=live,
        canned=CannedResponses(PgCannedStore(db)),
        workspace_preferences=ManageWorkspacePreferences(PgWorkspacePreferences(db)),
        admin=_admin_services(db, clocks, box, egress, passwords),
        incidents=Incidents(PgIncidentStore(db), watcher, clock=utc_now, clocks=clocks),
        media=MediaProxy(
            media_links, PgMediaLookup(db), GuardedImageFetcher(egress), clock=utc_now
        ),
        incident_pages=IncidentPages(PgIncidentHistory(db)),
        adoption=Adoption(PgAdoptionQuery(db), PgWorkspacePreferences(db)),
        clock=utc_now,
        bulk=BulkActions(PgBulkStore(db), close, waiting, clock=utc_now),
        set_status=SetStatus(PgRoutingStore(db), waiting),
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
    return AdminServices(
        workspaces=ManageWorkspaces(PgWorkspaceDirectory(db)),
        people=ManagePeople(PgPeopleAdmin(db), teams, passwords),
        teams=ManageTeams(teams),
        calendars=ManageCalendars(sla, clock=utc_now),
        sla=ManageSlaPolicies(sla, teams),
        routing=ManageRouting(RoutingSettings(PgRoutingStore(db))),
        canned=ManageCanned(CannedResponses(PgCannedStore(db))),
        accounts=ManageAccounts(ListChannels(PgChannelQuery(db)), PgAccountAdmin(db, keys)),
        webhooks=AdminWebhooks(
            ManageWebhooks(KeyOnFirstUseWebhookStore(db, keys), CheckedDestinations(egress))
        ),
    )


def _process_key() -> Callable[[], SecretBox]:
    return functools.cache(lambda: SecretBox(SecretStr(SecretBox.new_key())))


async def _ensure_embedded_database(server: EmbeddedPostgres, admin_dsn: str) -> str:
    conn = await asyncpg.connect(admin_dsn)
    try:
        exists = await conn.fetchval(
            "SELECT 1 FROM pg_database WHERE datname = $1", EMBEDDED_DATABASE
        )
        if not exists:
            await conn.execute(f'CREATE DATABASE "{EMBEDDED_DATABASE}"')
    finally:
        await conn.close()
    return server.dsn(EMBEDDED_DATABASE)


@asynccontextmanager
async def open_database(settings: Settings, *, apply_migrations: bool) -> AsyncIterator[Database]:
    """The configured database (embedded when no DATABASE_URL), migrated, closed on exit."""
    embedded: EmbeddedPostgres | None = None
    if settings.database_url is None:
        embedded = EmbeddedPostgres(settings.data_dir or default_data_dir())
        admin_dsn = await asyncio.to_thread(embedded.start)
        try:
            dsn = await _ensure_embedded_database(embedded, admin_dsn)
        except (OSError, asyncpg.PostgresError) as exc:
            await asyncio.to_thread(embedded.stop)
            raise DatabaseUnavailableError(f"embedded PostgreSQL is not usable: {exc}") from exc
        log.info("embedded postgres ready", extra={"action": "database_ready", "embedded": True})
    else:
        dsn = settings.database_url.get_secret_value()
    try:
        db = await Database.connect(dsn, size=settings.pool_size)
        try:
            if apply_migrations:
                async with db.connection() as conn:
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
    async with open_database(settings, apply_migrations=True) as db:
        workspaces = PgWorkspaceStore(db)
        workspace_id = await workspaces.ensure_workspace(settings.workspace, settings.workspace)
        keys = functools.cache(lambda: secret_box(settings))
        services = build_services(db, keys, egress=settings.egress_policy())
        yield Runtime(settings, db, services, workspaces, workspace_id)


def secret_box(settings: Settings) -> SecretBox:
    """The key that seals stored credentials: INBOX_SECRET_KEY, else the key file."""
    if settings.secret_key is not None:
        return SecretBox(settings.secret_key)
    key_file = settings.secret_key_file or platformdirs.user_data_path(APP_NAME) / "secret.key"
    try:
        return SecretBox(load_or_create_key(key_file))
    except OSError as exc:
        raise ConfigurationError(
            "INBOX_SECRET_KEY_FILE", f"cannot read or create {key_file}: {exc.strerror}"
        ) from exc


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
        imports=ImportBatches(PgConnectorState(db), runtime.services.ingest),
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


async def _meta_channels(
    settings: Settings, db: Database, session: aiohttp.ClientSession
) -> dict[tuple[int, int], OutboundChannel]:
    """A channel per Page or Instagram account of every Meta source with a Page token."""
    channels: dict[tuple[int, int], OutboundChannel] = {}
    for source in await PgInboundSourceStore(db, secret_box(settings)).replying():
        if source.access_token is None:
            continue
        url = str(source.settings.get("graph_url") or GRAPH_URL)
        api = GraphApi(session, url, source.access_token)
        for network, account_id in (
            (Network.FACEBOOK, source.facebook_account_id),
            (Network.INSTAGRAM, source.instagram_account_id),
        ):
            external_id = source.settings.get(f"{network.value}_id")
            if account_id is not None and external_id:
                handle = str(source.settings.get(f"{network.value}_handle") or "")
                channels[(source.workspace_id, account_id)] = MetaOutboundChannel(
                    network, str(external_id), handle, api, utc_now
                )
    return channels


class ChannelDirectory:
    """The OutboundChannels port over the channels the worker built for its accounts."""

    def __init__(self, channels: dict[tuple[int, int], OutboundChannel]) -> None:
        self._channels = channels

    async def for_account(self, workspace_id: int, account_id: int | None) -> OutboundChannel:
        channel = self._channels.get((workspace_id, account_id or 0))
        if channel is None:
            raise DeliveryError(
                "no connected account with posting credentials for this thread's network",
                permanent=True,
            )
        return channel


# With the stream on, REST polls are a safety net: they close gaps the stream's backfill
# cannot, so they run rarely.
STREAMED_POLL_SECONDS = 900.0


def _polling_plan(account_settings: dict[str, Any]) -> PollingPlan:
    default = STREAMED_POLL_SECONDS if account_settings.get("stream") else 60.0
    mentions = float(account_settings.get("poll_mentions_seconds") or default)
    search = float(account_settings.get("poll_search_seconds") or 300)
    return PollingPlan(
        mentions_base_seconds=mentions,
        search_base_seconds=max(search, mentions),
        min_seconds=min(15.0, mentions),
        max_seconds=max(3600.0, search),
    )


async def run_workers(runtime: Runtime, stop: asyncio.Event, *, outbox_every: float = 1.0) -> None:
    """The connectors of every enabled account, the outbox sender, the webhook deliveries,
    the SLA timer, the incident watch and reassignment, until `stop` is set. Each runs under
    the supervisor: a part that fails (the database away) is started again, never the end of
    the process; each says how it is on the process's health board."""
    settings = runtime.settings
    pinned = parse_address(settings.x_api_address) if settings.x_api_address else None
    session = x_api_session(pinned_address=pinned, ca_file=settings.x_api_ca_file)
    egress = settings.egress_policy()
    hooks_session = webhook_session(egress)
    graph_http = graph_session(egress)
    bluesky_http = bluesky_session(egress)
    mastodon_http = mastodon_session(egress)
    try:
        credentials = credential_store(settings, runtime.db)
        state = PgConnectorState(runtime.db)
        ledger = PgApiUsageLedger(runtime.db)
        health = PgChannelHealthStore(runtime.db)
        runners: list[XAccountRunner] = []
        streams: list[XStream] = []
        channels: dict[tuple[int, int], OutboundChannel] = {}
        for configured in await runtime.workspaces.enabled_accounts(Network.X):
            keys = XCredentials.from_mapping(
                await credentials.load(configured.workspace_id, configured.account_id)
            )
            if not keys.can_read:
                log.warning(
                    "x account has no credentials; run inbox connect x",
                    extra={"action": "x_no_credentials", "account": configured.handle},
                )
                continue
            account = XAccount(
                configured.workspace_id,
                configured.account_id,
                configured.external_id,
                configured.handle,
                tuple(configured.settings.get("search_terms") or ()),
            )
            api = XApi(keys, session, clock=utc_now)
            poller = XPoller(account, api, runtime.services.ingest, state)
            budget = ReadBudget(
                reads_per_day=configured.settings.get("reads_per_day"),
                reads_per_month=configured.settings.get("reads_per_month"),
            )
            plan = _polling_plan(configured.settings)
            runner = XAccountRunner(
                poller, api, ledger, health, budget=budget, plan=plan, clock=utc_now
            )
            runners.append(runner)
            if configured.settings.get("stream") and keys.bearer_token is not None:
                streams.append(
                    _x_stream(runner, keys.bearer_token.get_secret_value(), settings, pinned)
                )
            if keys.can_post:
                channels[(account.workspace_id, account.account_id)] = XOutboundChannel(
                    account, api, utc_now
                )
        channels.update(await _meta_channels(settings, runtime.db, graph_http))
        mastodon = await mastodon_workers(runtime, mastodon_http)
        channels.update(mastodon.channels)
        bluesky_runners, bluesky_channels = await _bluesky_accounts(runtime, bluesky_http)
        channels.update(bluesky_channels)
        sender = SendOutbox(
            PgOutboxStore(runtime.db),
            ChannelDirectory(channels),
            runtime.services.ingest,
            clock=utc_now,
            policy=SendPolicy(lease=timedelta(seconds=settings.outbox_lease_seconds)),
        )
        log.info("workers running", extra={"action": "workers_start", "x_accounts": len(runners)})
        board = runtime.services.health.board
        supervisor = Supervisor(board, stop)
        rules = KeepClocks()
        timer = SlaTimer(
            PgSlaTimerStore(runtime.db),
            clock=utc_now,
            shifts=PgShiftReports(runtime.db),
            rules=rules,
            dispatch=DispatchSlaEvents(
                PgSlaDispatchStore(runtime.db), PgSlaQuery(runtime.db), rules
            ),
            report=functools.partial(board.report, "timer"),
        )
        hooks = webhook_store(settings, runtime.db)
        if sealed := await hooks.seal_clear_urls():
            log.info(
                "webhook URLs sealed", extra={"action": "webhook_urls_sealed", "count": sealed}
            )
        webhooks = DeliverWebhooks(hooks, AiohttpWebhookPoster(hooks_session), clock=utc_now)
        incidents = IncidentTimer(
            PgIncidentStore(runtime.db), runtime.services.incidents.watcher, clock=utc_now
        )
        reassign = ReassignStale(PgRoutingStore(runtime.db), RoutingConfigs(), clock=utc_now)
        learn = LearnFromCorrections(PgCorrectionStore(runtime.db))
        shifts = FollowShifts(
            PgRoutingStore(runtime.db),
            PgSlaQuery(runtime.db),
            rules,
            AssignWaiting(PgRoutingStore(runtime.db), RoutingConfigs(), clock=utc_now),
            clock=utc_now,
        )
        accounts: list[AccountRunner[Any, Any]] = [*runners, *bluesky_runners, *mastodon.runners]
        # Parts are named by network and account id, not handle: /healthz needs no login.
        await asyncio.gather(
            *(
                supervisor.keep_running(
                    f"{runner.network}:{runner.account.account_id}",
                    functools.partial(runner.run, stop),
                )
                for runner in accounts
            ),
            *(
                supervisor.keep_running(
                    f"x:{stream.account.account_id}:stream",
                    functools.partial(_x_streaming, stream, stop),
                )
                for stream in streams
            ),
            *(
                supervisor.keep_running(
                    f"mastodon:{stream.account.account_id}:stream",
                    functools.partial(stream.run, stop),
                )
                for stream in mastodon.streams
            ),
            supervisor.every("outbox", outbox_every, sender.run_once),
            supervisor.keep_running(
                "timer", functools.partial(timer.run, stop), reports_itself=True
            ),
            supervisor.every("webhooks", outbox_every, webhooks.run_once),
            supervisor.every("incidents", INCIDENT_TICK_SECONDS, _incident_watch(incidents)),
            supervisor.every(
                "reassignment",
                REASSIGN_EVERY_SECONDS,
                functools.partial(_reassign_stale, reassign, runtime.workspaces),
            ),
            supervisor.every("learning", LEARN_EVERY_SECONDS, learn.run_once),
            supervisor.every(
                "shifts",
                SHIFTS_EVERY_SECONDS,
                functools.partial(_follow_shifts, shifts, runtime.workspaces),
            ),
            supervisor.every(
                "snoozes",
                WAKE_EVERY_SECONDS,
                functools.partial(_wake_snoozed, runtime.services.inbox_pages, runtime.workspaces),
            ),
        )
    finally:
        await session.close()
        await hooks_session.close()
        await graph_http.close()
        await bluesky_http.close()
        await mastodon_http.close()


async def _bluesky_accounts(
    runtime: Runtime, session: aiohttp.ClientSession
) -> tuple[list[BlueskyAccountRunner], dict[tuple[int, int], OutboundChannel]]:
    """A runner and an outbound channel for every enabled Bluesky account."""
    credentials = credential_store(runtime.settings, runtime.db)
    state = PgConnectorState(runtime.db)
    ledger = PgApiUsageLedger(runtime.db)
    health = PgChannelHealthStore(runtime.db)
    runners: list[BlueskyAccountRunner] = []
    channels: dict[tuple[int, int], OutboundChannel] = {}
    for configured in await runtime.workspaces.enabled_accounts(Network.BLUESKY):
        secrets = BlueskyCredentials.from_mapping(
            await credentials.load(configured.workspace_id, configured.account_id)
        )
        if secrets is None:
            log.warning(
                "bluesky account has no app password; run inbox connect bluesky",
                extra={"action": "bluesky_no_credentials", "account": configured.handle},
            )
            continue
        service = configured.settings.get("service") or runtime.settings.bluesky_service
        try:
            api = BlueskyApi(str(service), configured.handle, secrets, session, clock=utc_now)
        except ConfigurationError as error:
            log.error(
                "bluesky account not started",
                extra={"action": "bluesky_bad_service", "account": configured.handle,
                       "error": str(error)},
            )  # fmt: skip
            continue
        account = BlueskyAccount(
            configured.workspace_id,
            configured.account_id,
            configured.external_id,
            configured.handle,
        )
        poller = BlueskyPoller(account, api, runtime.services.ingest, state)
        poll_seconds = float(configured.settings.get("poll_seconds") or 30.0)
        runners.append(
            BlueskyAccountRunner(
                poller, api, ledger, health, clock=utc_now, poll_seconds=poll_seconds
            )
        )
        channels[(account.workspace_id, account.account_id)] = BlueskyOutboundChannel(
            account, api, utc_now
        )
    return runners, channels


async def _x_streaming(stream: XStream, stop: asyncio.Event) -> None:
    """The account's stream rules made right (again after a failure: they may have been
    it), then the stream."""
    await stream.sync_rules(desired_rules(stream.account))
    await stream.run(stop)


def _x_stream(
    runner: XAccountRunner, bearer_token: str, settings: Settings, pinned: tuple[str, int] | None
) -> XStream:
    async def catch_up() -> None:
        # After a reconnection: poll now; the REST cursors close whatever the backfill missed.
        for stream_kind in list(runner.next_at):
            await runner.tick(stream_kind)

    return XStream(
        runner.account,
        bearer_token,
        lambda: x_api_session(
            pinned_address=pinned, ca_file=settings.x_api_ca_file, timeout=stream_timeout(30)
        ),
        runner.ingest,
        on_reconnect=catch_up,
    )


@dataclass(slots=True)
class MastodonWorkers:
    runners: list[MastodonAccountRunner]
    streams: list[MastodonStream]
    channels: dict[tuple[int, int], MastodonOutboundChannel]


# With the user stream on, REST polls are its safety net: they run rarely.
MASTODON_STREAMED_POLL_SECONDS = 600.0


async def mastodon_workers(runtime: Runtime, session: aiohttp.ClientSession) -> MastodonWorkers:
    """A runner, a channel and, when asked for, a user stream per enabled Mastodon account."""
    credentials = credential_store(runtime.settings, runtime.db)
    state = PgConnectorState(runtime.db)
    ledger = PgApiUsageLedger(runtime.db)
    health = PgChannelHealthStore(runtime.db)
    workers = MastodonWorkers([], [], {})
    for configured in await runtime.workspaces.enabled_accounts(Network.MASTODON):
        ids = (configured.workspace_id, configured.account_id)
        token = (await credentials.load(*ids)).get("access_token")
        instance = configured.settings.get("instance")
        if token is None or not isinstance(instance, str):
            log.warning(
                "mastodon account has no token or instance; run inbox connect mastodon",
                extra={"action": "mastodon_no_credentials", "account": configured.handle},
            )
            continue
        account = MastodonAccount(*ids, instance, configured.external_id, configured.handle)
        try:
            api = MastodonApi(instance, token, session, clock=utc_now)
        except ConfigurationError as error:
            log.error(
                "mastodon account not started",
                extra={"action": "mastodon_bad_instance", "account": configured.handle,
                       "error": str(error)},
            )  # fmt: skip
            continue
        streamed = bool(configured.settings.get("stream"))
        default = MASTODON_STREAMED_POLL_SECONDS if streamed else 60.0
        poll_seconds = float(configured.settings.get("poll_seconds") or default)
        poller = MastodonPoller(account, api, runtime.services.ingest, state)
        runner = MastodonAccountRunner(
            poller, api, ledger, health, clock=utc_now, poll_seconds=poll_seconds
        )
        workers.runners.append(runner)
        if streamed:
            workers.streams.append(
                MastodonStream(account, api, runner.ingest, on_reconnect=runner.tick)
            )
        workers.channels[ids] = MastodonOutboundChannel(account, api, utc_now)
    return workers


def utc_now() -> datetime:
    return datetime.now(UTC)


REASSIGN_EVERY_SECONDS = 60.0
# Each workspace's classifier relearns from its corrections (only those corrected since).
LEARN_EVERY_SECONDS = 3600.0


async def _reassign_stale(reassign: ReassignStale, workspaces: PgWorkspaceStore) -> None:
    """Threads assigned but not answered in time go to someone else (run every minute)."""
    for workspace_id in await workspaces.all_ids():
        moved = await reassign(workspace_id)
        if moved:
            log.info(
                "unanswered threads reassigned",
                extra={"action": "reassign", "workspace_id": workspace_id, "moved": moved},
            )


# A team's shift starts (and its waiting threads are given out) within this much of its
# calendar's opening.
SHIFTS_EVERY_SECONDS = 60.0


async def _follow_shifts(shifts: FollowShifts, workspaces: PgWorkspaceStore) -> None:
    for workspace_id in await workspaces.all_ids():
        await shifts(workspace_id)


# A snoozed thread comes back to the open pages within this much of its time.
WAKE_EVERY_SECONDS = 10.0


async def _wake_snoozed(pages: InboxPages, workspaces: PgWorkspaceStore) -> None:
    for workspace_id in await workspaces.all_ids():
        await pages.wake_snoozed(workspace_id)


INCIDENT_TICK_SECONDS = 60.0


def _incident_watch(timer: IncidentTimer) -> Callable[[], Awaitable[object]]:
    """A pass of the incident watch: the complaint baseline relearned first (until that
    succeeds), then the minute's buckets closed at every pass."""
    relearned = False

    async def watch() -> object:
        nonlocal relearned
        if not relearned:
            await timer.start()
            relearned = True
        return await timer.tick()

    return watch
