"""The worker's parts, built from the runtime: each connected account under its lease, the
SLA timer, the incident detector, the outbox and webhook deliveries, and the periodic upkeep.
Part of the composition root (with `inbox.bootstrap`, which builds the services)."""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import secrets
import socket
from collections.abc import Mapping
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from connectors.webhooks.outbound import AiohttpWebhookPoster
from inbox.bootstrap import Runtime, secret_box, webhook_store
from inbox.connector_wiring import (
    ConnectorSources,
    NetworkSessions,
    account_catalog,
    network_sessions,
)
from inbox.domain.clock import utc_now
from inbox.ports.connectors import OutboundChannel
from inbox.store.account_leases import PgAccountChanges, PgAccountLeases
from inbox.store.adoption import SETTLE, PgAdoptionRollUp
from inbox.store.corrections import PgCorrectionStore
from inbox.store.customer_events import PgCustomerEventOutbox
from inbox.store.incidents import PgIncidentStore
from inbox.store.outbound_channels import ChannelDirectory
from inbox.store.outbox import PgOutboxStore
from inbox.store.routing import PgRoutingStore
from inbox.store.sla_alerts import PgSlaDispatchStore
from inbox.store.sla_settings import PgSlaQuery
from inbox.store.sla_timer import PgShiftReports, PgSlaTimerStore
from inbox.store.thread_events import PgThreadEventOutbox
from inbox.store.workspaces import PgWorkspaceStore
from inbox.usecases.account_leases import BEATS_PER_LEASE, KeepAccountLeases
from inbox.usecases.assignment import AssignWaiting, ReassignStale
from inbox.usecases.incident_detector import IncidentTimer
from inbox.usecases.learning import LearnFromCorrections
from inbox.usecases.outbox import SendOutbox, SendPolicy
from inbox.usecases.routing import (
    FollowShifts,
)
from inbox.usecases.routing_config import RoutingConfigs
from inbox.usecases.sla import KeepClocks
from inbox.usecases.sla_alerts import DispatchSlaEvents
from inbox.usecases.sla_timer import SlaTimer
from inbox.usecases.webhooks import DeliverWebhooks
from inbox.worker import (
    AccountOwnership,
    LongRunning,
    Periodic,
    RunningAccounts,
    Worker,
    each_workspace,
)

log = logging.getLogger(__name__)

EMBEDDED_DATABASE = "inbox"


async def run_workers(runtime: Runtime, stop: asyncio.Event, *, outbox_every: float = 1.0) -> None:
    """This process's worker, built and run until `stop` is set: its share of the connected
    accounts (held by leases, so each runs on one worker of the cluster), the outbox sender,
    the webhook deliveries, the SLA timer, the incident watch, reassignment, learning, shifts
    and snoozes (see inbox.worker)."""
    worker = Worker(runtime.services.health.board, stop)
    sources = ConnectorSources(
        runtime.settings,
        runtime.db,
        secret_box(runtime.settings),
        runtime.services.ingest,
        utc_now,
    )
    # One cache of parsed SLA rules for the timer and the shifts.
    rules = KeepClocks()
    async with network_sessions(runtime.settings) as sessions:
        accounts = await _account_ownership(runtime, sources, sessions, worker)
        log.info(
            "workers running",
            extra={"action": "workers_start", "worker_id": accounts.keep.worker_id},
        )
        await worker.run(
            [
                *accounts.long_running(),
                _sla_timer(runtime, rules, worker.scheduler),
                _incident_detector(runtime),
            ],
            [
                accounts.periodic(),
                _outbox(runtime, accounts.channels, outbox_every),
                await _webhook_deliveries(runtime, sessions, outbox_every),
                *_upkeep(runtime, rules),
            ],
        )


def worker_id() -> str:
    """This process in the worker registry: readable by an operator, unique even when a
    process id is reused on another machine or after a restart."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


async def _account_ownership(
    runtime: Runtime, sources: ConnectorSources, sessions: NetworkSessions, worker: Worker
) -> AccountOwnership:
    """This worker's share of the connected accounts, held by leases and followed as the
    accounts change."""
    catalog = await account_catalog(sources, sessions)
    board = runtime.services.health.board
    lease_seconds = runtime.settings.account_lease_seconds
    # A runner stopping may finish its poll for up to a heartbeat.
    runners = RunningAccounts(board, catalog, stop_grace_seconds=lease_seconds / BEATS_PER_LEASE)
    leases, me = PgAccountLeases(runtime.db), worker_id()
    # The outbox posts on any account's channel from its first pass, which comes before the
    # first heartbeat: the accounts are read now, so a reply queued before the start is not
    # failed for want of a channel.
    await catalog.follow((await leases.beat(me, lease_seconds)).accounts)
    keep = KeepAccountLeases(leases, runners, worker_id=me, lease_seconds=lease_seconds)
    return AccountOwnership(
        keep, runners, PgAccountChanges(runtime.db).listen, worker.scheduler, catalog.channels
    )


def _sla_timer(runtime: Runtime, rules: KeepClocks, scheduler: AsyncIOScheduler) -> LongRunning:
    board = runtime.services.health.board
    timer = SlaTimer(
        PgSlaTimerStore(runtime.db),
        clock=utc_now,
        shifts=PgShiftReports(runtime.db),
        rules=rules,
        dispatch=DispatchSlaEvents(PgSlaDispatchStore(runtime.db), PgSlaQuery(runtime.db), rules),
        report=functools.partial(board.report, "timer"),
        scheduler=scheduler,
    )
    return LongRunning("timer", timer.run, reports_itself=True)


def _outbox(
    runtime: Runtime, channels: Mapping[tuple[int, int], OutboundChannel], seconds: float
) -> Periodic:
    sender = SendOutbox(
        PgOutboxStore(runtime.db),
        ChannelDirectory(channels),
        runtime.services.ingest,
        clock=utc_now,
        policy=SendPolicy(lease=timedelta(seconds=runtime.settings.outbox_lease_seconds)),
    )
    return Periodic("outbox", seconds, sender.run_once)


async def _webhook_deliveries(
    runtime: Runtime, sessions: NetworkSessions, seconds: float
) -> Periodic:
    hooks = webhook_store(runtime.settings, runtime.db)
    if sealed := await hooks.seal_clear_urls():
        log.info("webhook URLs sealed", extra={"action": "webhook_urls_sealed", "count": sealed})
    webhooks = DeliverWebhooks(
        hooks,
        AiohttpWebhookPoster(sessions.webhooks),
        clock=utc_now,
        outboxes=[PgThreadEventOutbox(runtime.db), PgCustomerEventOutbox(runtime.db)],
    )
    return Periodic("webhooks", seconds, webhooks.run_once)


def _incident_detector(runtime: Runtime) -> LongRunning:
    """One detector for the database: it leads (its own lock) or waits to."""
    detector = IncidentTimer(
        PgIncidentStore(runtime.db),
        runtime.services.incidents.watcher,
        clock=utc_now,
        report=functools.partial(runtime.services.health.board.report, "incidents"),
    )
    return LongRunning("incidents", detector.run, reports_itself=True)


REASSIGN_EVERY_SECONDS = 60.0
# Each workspace's classifier relearns from its corrections (only those corrected since).
LEARN_EVERY_SECONDS = 3600.0
# A team's shift starts (and its waiting threads are given out) within this much of its
# calendar's opening.
SHIFTS_EVERY_SECONDS = 60.0
# A snoozed thread comes back to the open pages within this much of its time.
WAKE_EVERY_SECONDS = 10.0
# Retention removes what fell due, once a day (and at the start: a worker restarted often
# still applies it). Every pass is idempotent: two workers running it at once remove nothing
# twice.
RETENTION_EVERY_SECONDS = 86400.0
# The adoption panel's roll-ups take in what settled since their last pass; the panel reads
# what came after as it is, so an hourly pass keeps that to a day or so.
ROLL_UP_EVERY_SECONDS = 3600.0


def _upkeep(runtime: Runtime, rules: KeepClocks) -> list[Periodic]:
    """The passes that keep the queue moving (reassignment, learning, shifts and snoozes)
    and the daily retention."""
    db, workspaces = runtime.db, runtime.workspaces
    reassign = ReassignStale(PgRoutingStore(db), RoutingConfigs(), clock=utc_now)
    shifts = FollowShifts(
        PgRoutingStore(db),
        PgSlaQuery(db),
        rules,
        AssignWaiting(PgRoutingStore(db), RoutingConfigs(), clock=utc_now),
        clock=utc_now,
    )
    return [
        Periodic(
            "reassignment",
            REASSIGN_EVERY_SECONDS,
            functools.partial(_reassign_stale, reassign, workspaces),
        ),
        Periodic(
            "learning", LEARN_EVERY_SECONDS, LearnFromCorrections(PgCorrectionStore(db)).run_once
        ),
        Periodic("shifts", SHIFTS_EVERY_SECONDS, each_workspace(workspaces.all_ids, shifts)),
        Periodic(
            "snoozes",
            WAKE_EVERY_SECONDS,
            each_workspace(workspaces.all_ids, runtime.services.inbox_pages.wake_snoozed),
        ),
        Periodic(
            "retention",
            RETENTION_EVERY_SECONDS,
            runtime.services.retention.daily(workspaces.all_ids),
        ),
        Periodic(
            "adoption roll-ups",
            ROLL_UP_EVERY_SECONDS,
            each_workspace(workspaces.all_ids, functools.partial(_roll_up, PgAdoptionRollUp(db))),
        ),
    ]


async def _roll_up(roll_ups: PgAdoptionRollUp, workspace_id: int) -> None:
    await roll_ups.roll_up(workspace_id, utc_now() - SETTLE)


async def _reassign_stale(reassign: ReassignStale, workspaces: PgWorkspaceStore) -> None:
    """Threads assigned but not answered in time go to someone else (run every minute)."""
    await reassign.everywhere(await workspaces.all_ids())
