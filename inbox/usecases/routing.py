"""Routing in the inbox: classify each batch, run the workspace's rules, then have its threads
assigned (`inbox.usecases.assignment`, which also claims, reassigns and gives waiting threads
out); follow people's status and their teams' shifts, keep the routing settings, correct
the classifier.

Classification runs before the batch transaction (pure, no lock). Rules and assignment run
inside it, before the SLA clocks are kept, so that a rule's priority or "no reply needed" is
what the clocks see, and a crash never leaves a message without its assignment.

Threads left waiting in a team's queue (nobody could take them) move as soon as someone may
have room: an agent back to available (in the same transaction), a thread closed or handed
over (right after it commits), a team's shift starting (the worker's pass, every minute,
which also catches up with anything a stopped process left waiting).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from inbox.domain.audit import Actor
from inbox.domain.clock import Clock, utc_now
from inbox.domain.documents import check_document
from inbox.domain.errors import ConfigurationError, NotFoundError
from inbox.domain.ingestion import IngestResult
from inbox.domain.mention import Mention
from inbox.domain.presence import AgentStatus, Presence
from inbox.domain.routing import RoutingConfig
from inbox.domain.thread import Priority, ThreadKind
from inbox.ports.audit import AuditTrail
from inbox.ports.ingest import IngestUnitOfWork
from inbox.ports.routing import RoutingStore, RoutingWriter
from inbox.ports.sla import ClockWriter, SlaQuery
from inbox.ports.threads import ThreadEditStore
from inbox.usecases.assignment import AssignWaiting, assign_as_rules_say, assign_changed
from inbox.usecases.audit import entry_as, history_name
from inbox.usecases.routing_config import ParsedConfig, RoutingConfigs, parse_config
from inbox.usecases.sla import KeepClocks
from routing.classification import Classification
from routing.rules import RuleOutcome, apply_rules_many, fired_counts
from sla.calendar import is_open
from sla.team_zone import team_calendar

log = logging.getLogger(__name__)

ACKNOWLEDGEMENT_KEY = "rule-ack:{thread_id}:{at}"
REPEATED_MESSAGES = 3  # unanswered messages of one thread that make it high priority
# Batches classified together, each in a worker thread. The classifier is mostly Python, so a
# second thread adds little (8 deliveries of 50 long texts in 8.7 s against 9.0 s) and takes
# turns at the interpreter from the event loop (`/healthz` p99 about twice as long).
CLASSIFYING_AT_ONCE = 1


class ClassifyMentions:
    """The ingestion port: one classification per mention, with the workspace's lexicon.

    Always in a worker thread, whatever the batch's size: the classifier is pure Python and
    lingua, milliseconds a message and over half a second for a megabyte of long texts, time
    the event loop owes to the web and the other connectors. At most `at_once` batches are
    classified together; the others wait their turn. A thread rather than a process: a
    process would keep `/healthz` faster still under a burst of long texts (p99 20-80 ms
    against 70-270 ms), but holds its own copy of lingua's models (+200 MB) and needs each
    workspace's classifier sent to it."""

    def __init__(
        self, store: RoutingStore, configs: RoutingConfigs, *, at_once: int = CLASSIFYING_AT_ONCE
    ) -> None:
        self._store = store
        self._configs = configs
        self._turns = asyncio.Semaphore(at_once)

    async def classify(
        self, workspace_id: int, mentions: Sequence[Mention]
    ) -> Sequence[Classification]:
        config = self._configs.parsed(workspace_id, await self._store.load_config(workspace_id))
        async with self._turns:
            return await asyncio.to_thread(config.classifier.classify_many, mentions)


class RouteThreads:
    """After a batch is written: rules on the threads it touched, then assignment of those
    nobody holds, in the batch's transaction, set-based."""

    def __init__(self, configs: RoutingConfigs, *, clock: Clock = utc_now):
        self._configs = configs
        self._clock = clock

    async def __call__(
        self, uow: IngestUnitOfWork, workspace_id: int, result: IngestResult
    ) -> None:
        if not result.changed_thread_ids:
            return
        writer = uow.routing
        config = self._configs.parsed(workspace_id, await writer.config(workspace_id))
        now = self._clock()
        thread_ids = sorted(result.changed_thread_ids)
        await writer.raise_repeated(workspace_id, thread_ids, REPEATED_MESSAGES)
        if config.rules.rules:
            await self._apply_rules(uow.clocks, writer, workspace_id, thread_ids, config, now)
        await assign_changed(writer, workspace_id, thread_ids, config.settings, now)

    async def _apply_rules(
        self,
        clocks: ClockWriter,
        writer: RoutingWriter,
        workspace_id: int,
        thread_ids: Sequence[int],
        config: ParsedConfig,
        now: datetime,
    ) -> None:
        subjects = await writer.rule_subjects(workspace_id, thread_ids)
        outcomes = apply_rules_many(config.rules, [s.facts for s in subjects])
        fired = {name: n for name, n in fired_counts(outcomes).items() if n}
        if not fired:
            return
        await writer.count_rules(workspace_id, fired, now)
        applied: list[tuple[int, RuleOutcome]] = []
        assigned = []
        emails = {o.assign_to for o in outcomes if o.assign_to}
        agents = await writer.agents_by_email(workspace_id, sorted(emails)) if emails else {}
        acknowledgements = []
        dismissed = []
        for subject, outcome in zip(subjects, outcomes, strict=True):
            if not outcome.fired:
                continue
            # Someone already holds the thread: a rule no longer moves it.
            team = None if subject.assigned else outcome.team
            applied.append((subject.thread_id, _with_team(outcome, team)))
            if outcome.no_reply_needed:
                dismissed.append(subject.thread_id)
            agent_id = agents.get(outcome.assign_to.lower()) if outcome.assign_to else None
            if agent_id is not None and not subject.assigned:
                assigned.append((subject.thread_id, agent_id, outcome.reasons))
            template = outcome.auto_acknowledge
            if template is not None:
                key = ACKNOWLEDGEMENT_KEY.format(
                    thread_id=subject.thread_id, at=subject.facts.at.isoformat()
                )
                acknowledgements.append((subject.thread_id, key, config.acknowledgements[template]))
        if dismissed:
            await clocks.record_closures(workspace_id, dismissed, now, "no_reply_needed", "rule")
        await writer.apply_rules(workspace_id, applied)
        await assign_as_rules_say(writer, workspace_id, assigned, now)
        if acknowledgements:
            await clocks.queue_acknowledgements(workspace_id, acknowledgements)


def _with_team(outcome: RuleOutcome, team: str | None) -> RuleOutcome:
    return outcome if outcome.team == team else replace(outcome, team=team)


class SetStatus:
    """An agent sets their own status: available, busy (keeps their threads, gets no new
    ones) or away (gets none; what they leave unanswered is reassigned after the workspace's
    `reassign_after_minutes`). Back to available, the waiting threads of their teams are
    given out at once, in the same transaction."""

    def __init__(self, store: RoutingStore, waiting: AssignWaiting) -> None:
        self._store = store
        self._waiting = waiting

    async def __call__(self, workspace_id: int, agent_id: int, status: AgentStatus) -> Presence:
        async with self._store.transaction() as writer:
            presence = await writer.set_status(workspace_id, agent_id, status)
            if presence is None:
                raise NotFoundError("agent", agent_id)
            if presence.takes_new_threads:
                teams = await writer.teams_around(workspace_id, agent_ids=[agent_id])
                await self._waiting.within(writer, workspace_id, teams)
        log.info(
            "status set",
            extra={"action": "agent_status", "workspace_id": workspace_id, "agent_id": agent_id,
                   "status": status.value},
        )  # fmt: skip
        return presence


class FollowShifts:
    """Each team is on shift while its calendar (its SLA policy's, as for its time zone) is
    open. The worker's pass, every minute: records which teams are open now, then gives out
    whatever waits while someone can take it (a shift that started; anything a stopped
    process left waiting)."""

    def __init__(
        self,
        store: RoutingStore,
        sla: SlaQuery,
        clocks: KeepClocks,
        waiting: AssignWaiting,
        *,
        clock: Clock,
    ) -> None:
        self._store = store
        self._sla = sla
        self._clocks = clocks
        self._waiting = waiting
        self._clock = clock

    async def __call__(self, workspace_id: int) -> int:
        """How many waiting threads were given to someone."""
        rules = self._clocks.rules_for(workspace_id, await self._sla.sla_settings(workspace_id))
        now = self._clock()
        async with self._store.transaction() as writer:
            open_now = {}
            for team_id in await writer.team_ids(workspace_id):
                calendar = team_calendar(rules.book, rules.calendars, team_id)
                open_now[team_id] = calendar is None or is_open(calendar, now)
            changed = await writer.set_shifts(workspace_id, open_now)
            if changed:
                log.info(
                    "shifts changed",
                    extra={"action": "shifts", "workspace_id": workspace_id,
                           "started": sorted(t for t, on in changed.items() if on),
                           "ended": sorted(t for t, on in changed.items() if not on)},
                )  # fmt: skip
            return await self._waiting.within(writer, workspace_id, None)


class RoutingSettings:
    """A workspace's routing settings, lexicon additions and rules: checked, then stored."""

    # The whole document as JSON: hundreds of rules and lexicon additions fit in far less.
    LONGEST_DOCUMENT = 500_000

    def __init__(self, store: RoutingStore) -> None:
        self._store = store

    async def current(self, workspace_id: int) -> RoutingConfig:
        return await self._store.load_config(workspace_id) or RoutingConfig()

    async def save(
        self,
        workspace_id: int,
        settings: dict[str, object],
        lexicon: dict[str, object],
        rules: dict[str, object],
    ) -> int:
        for name, part in (("settings", settings), ("lexicon", lexicon), ("rules", rules)):
            check_document(part, name)  # bounded nesting and size, finite numbers
        if len(json.dumps([settings, lexicon, rules])) > self.LONGEST_DOCUMENT:
            raise ConfigurationError(
                "routing document", f"at most {self.LONGEST_DOCUMENT} characters"
            )
        # Compiling the lexicon and the rules is CPU work: off the event loop.
        await asyncio.to_thread(parse_config, RoutingConfig(0, settings, lexicon, rules))
        return await self._store.save_config(workspace_id, settings, lexicon, rules)

    async def rule_counts(self, workspace_id: int) -> dict[str, int]:
        return await self._store.rule_counts(workspace_id)


CORRECTABLE = ("kind", "language", "urgency", "topics")


class CorrectClassification:
    """An agent corrects what the classifier decided, in one action: the thread changes at
    once (a new kind or urgency re-plans its SLA clocks: a different policy or priority may
    apply) and the correction is kept, with the text, for later learning."""

    def __init__(self, store: ThreadEditStore, clocks: KeepClocks, audit: AuditTrail) -> None:
        self._store = store
        self._clocks = clocks
        self._audit = audit

    async def __call__(
        self, workspace_id: int, thread_id: int, field: str, value: object, by: Actor
    ) -> object:
        """The value it replaced."""
        checked = _checked_correction(field, value)
        async with self._store.edit() as editor:
            old = await editor.correct(workspace_id, thread_id, field, checked, history_name(by))
            if field in ("kind", "urgency"):
                await self._clocks.keep(editor.clocks, workspace_id, [thread_id])
        entry = entry_as(
            workspace_id, by, "classification_corrected", "thread", thread_id,
            field=field, old=old, new=checked,
        )  # fmt: skip
        await self._audit.record(entry)
        log.info(
            "classification corrected",
            extra={"action": "classification_corrected", "thread_id": thread_id, "field": field},
        )
        return old


def _checked_correction(field: str, value: object) -> object:
    if field == "kind":
        kinds = [k.value for k in ThreadKind if k is not ThreadKind.UNCLASSIFIED]
        if value not in kinds:
            raise ConfigurationError("value", f"a kind is one of {', '.join(kinds)}")
    elif field == "urgency":
        if value not in [p.value for p in Priority]:
            raise ConfigurationError("value", "urgency is one of low, normal, high, urgent")
    elif field == "language":
        if value is not None and not (
            isinstance(value, str) and value.isalpha() and len(value) in (2, 3)
        ):
            raise ConfigurationError("value", "a language is a 2 or 3 letter code, or null")
        return value.lower() if isinstance(value, str) else None
    elif field == "topics":
        if not (
            isinstance(value, list)
            and len(value) <= 20
            and all(isinstance(t, str) and 0 < len(t.strip()) <= 40 for t in value)
        ):
            raise ConfigurationError("value", "topics are a list of up to 20 short names")
        return sorted({t.strip() for t in value})
    else:
        raise ConfigurationError("field", f"one of {', '.join(CORRECTABLE)}")
    return value
