"""Keeping every thread's SLA clocks in step with its messages, inside the batch transaction.

After a batch is written, the clocks of the threads it changed are derived again from their
whole message history (sla.clocks), planned under the policy the thread's facts select
(sla.policy) and the policy's calendar (sla.calendar), and saved: new clocks start, answered
ones stop, and clocks whose policy, priority or configuration changed get a new deadline
while keeping their start. Clocks already planned under the same configuration are not
planned again, except those of threads linked to a major incident under a policy that suspends
them: their pauses (the incident's major windows) move their deadlines, so they are planned
afresh each time and saved when something changed.

This module is the hook; the rules it plans under are read in inbox.usecases.sla_rules and
the clocks derived in inbox.usecases.sla_plan.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime

from inbox.domain.clock import Clock, utc_now
from inbox.domain.errors import ConfigurationError
from inbox.domain.ingestion import IngestResult, NewThreadTimeline
from inbox.domain.sla import SlaSettings, StoredClock
from inbox.ports.ingest import IngestUnitOfWork
from inbox.ports.sla import ClockWriter
from inbox.usecases.sla_plan import clock_key, clocks_of, differs, out_of_hours_acknowledgements
from inbox.usecases.sla_rules import DEFAULT_SETTINGS, SlaRules
from sla.policy import Pause, clock_pauses

log = logging.getLogger(__name__)


class KeepClocks:
    """The AfterIngestHook that starts, stops and re-plans SLA clocks."""

    def __init__(self, *, clock: Clock = utc_now) -> None:
        self._rules: dict[tuple[int, int], SlaRules] = {}
        self._clock = clock

    def remember(self, workspace_id: int, rules: SlaRules) -> None:
        """Rules just saved (and committed) as their version: not parsed again."""
        self._rules[(workspace_id, rules.version)] = rules

    def rules_for(self, workspace_id: int, settings: SlaSettings | None) -> SlaRules:
        settings = settings or DEFAULT_SETTINGS
        key = (workspace_id, settings.version)
        rules = self._rules.get(key)
        if rules is None:
            try:
                rules = SlaRules.parse(settings)
            except ConfigurationError as error:
                # Settings are validated when saved; should a bad one slip through, messages
                # must still be stored: clocks fall back to the default and the error is loud.
                log.error(
                    "SLA settings unusable; default policy applied",
                    extra={
                        "action": "sla_settings_error",
                        "workspace_id": workspace_id,
                        "error": str(error),
                    },
                )
                rules = SlaRules.parse(DEFAULT_SETTINGS)
            self._rules[key] = rules
        return rules

    async def __call__(
        self, uow: IngestUnitOfWork, workspace_id: int, result: IngestResult
    ) -> None:
        thread_ids = sorted(result.changed_thread_ids)
        if thread_ids:
            created, written = result.created_thread_ids, result.new_thread_timelines
            await self.keep(uow.clocks, workspace_id, thread_ids, created, written=written)

    async def keep(
        self,
        writer: ClockWriter,
        workspace_id: int,
        thread_ids: Sequence[int],
        created: frozenset[int] = frozenset(),
        *,
        rules: SlaRules | None = None,
        written: Mapping[int, NewThreadTimeline] | None = None,
    ) -> None:
        """Bring these threads' clocks in line with their messages and the settings (the
        stored ones, or `rules` when given: settings being saved in the writer's
        transaction, which must not be remembered before it commits). `created`: threads
        the writer's transaction created, `written` the timelines it wrote into them."""
        if rules is None:
            rules = self.rules_for(workspace_id, await writer.sla_settings(workspace_id))
        with_history = [t for t in thread_ids if t not in created]
        existing = (
            {clock_key(c): c for c in await writer.clocks_of(workspace_id, with_history)}
            if with_history
            else {}
        )
        changed: list[StoredClock] = []
        kept: set[tuple[int, str, datetime]] = set()
        acknowledgements: list[tuple[int, str, str]] = []
        now = self._clock()
        windows: dict[int, list[Pause]] = {}
        if rules.suspends:
            for window in await writer.major_incident_windows(workspace_id, thread_ids):
                windows.setdefault(window.thread_id, []).append(
                    (window.started_at, window.ended_at)
                )
        for timeline in await writer.timelines(workspace_id, thread_ids, written):
            policy = rules.policy_for(timeline)
            suspended = clock_pauses(policy, major_incidents=windows.get(timeline.thread_id, ()))
            clocks = clocks_of(timeline, policy, rules, existing, suspended)
            if timeline.thread_id in created or not existing:
                changed.extend(clocks)  # nothing stored to compare with
            else:
                # Only what changed goes back: most clocks of a busy thread are already as
                # derived.
                for clock in clocks:
                    key = clock_key(clock)
                    kept.add(key)
                    if differs(existing.get(key), clock):
                        changed.append(clock)
            if policy.out_of_hours_acknowledgement:
                acknowledgements.extend(
                    out_of_hours_acknowledgements(timeline, policy, clocks, existing, rules, now)
                )
        await writer.queue_acknowledgements(workspace_id, acknowledgements)
        stale = [c for key, c in existing.items() if key not in kept and c.outcome != "excluded"]
        if changed or stale:
            await writer.save_clocks(workspace_id, changed, stale, fresh=created)
