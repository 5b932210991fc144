"""Saving a workspace's SLA settings: the calendars and policies checked whole, stored, and
the running clocks re-planned under them in one transaction.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import replace
from datetime import datetime

from inbox.domain.clock import Clock, utc_now
from inbox.domain.documents import check_document
from inbox.domain.errors import ConfigurationError
from inbox.domain.sla import SlaSettings
from inbox.ports.sla import SlaSettingsStore
from inbox.usecases.sla import KeepClocks
from inbox.usecases.sla_rules import DEFAULT_SETTINGS, SlaRules
from sla.calendar import CalendarError

log = logging.getLogger(__name__)

# Calendars and policies together, as JSON: fifty calendars of a thousand named holidays.
LONGEST_SETTINGS = 2_000_000
MAX_SETTINGS_VALUES = 1_000_000


class SaveSlaSettings:
    """Check a workspace's calendars and policies whole, then store them and re-plan its
    running clocks in one transaction (finished clocks keep the plan they ran under).

    Anything wrong is refused with a ConfigurationError naming the calendar or the field,
    and then nothing has changed: neither the settings nor any clock. Ingestion of the
    workspace waits for the transaction, so no batch is planned under half-saved settings.
    """

    def __init__(
        self,
        store: SlaSettingsStore,
        clocks: KeepClocks,
        *,
        clock: Clock = utc_now,
    ) -> None:
        self._store = store
        self._clocks = clocks
        self._clock = clock

    async def __call__(
        self, workspace_id: int, calendars: dict[str, object], policies: dict[str, object]
    ) -> tuple[int, int]:
        """(the new settings version, threads whose running clocks were re-planned)."""
        # Reading calendars and walking them is CPU work: off the event loop.
        checked = await asyncio.to_thread(_checked_settings, calendars, policies, self._clock())
        try:
            async with self._store.settings_transaction(workspace_id) as writer:
                version = await writer.save_settings(workspace_id, calendars, policies)
                rules = replace(checked, version=version)
                replanned = 0
                for thread_ids in await writer.threads_with_running_clocks(workspace_id):
                    await self._clocks.keep(writer, workspace_id, thread_ids, rules=rules)
                    replanned += len(thread_ids)
        except (CalendarError, OverflowError) as exc:
            # A running clock whose start lies where the checks do not look (a backfilled
            # message from long ago); the transaction has been rolled back.
            raise ConfigurationError(
                "SLA settings", f"the running clocks cannot be re-planned under them: {exc}"
            ) from exc
        self._clocks.remember(workspace_id, rules)
        log.info(
            "SLA settings saved",
            extra={
                "action": "sla_settings_saved",
                "workspace_id": workspace_id,
                "version": version,
                "replanned_threads": replanned,
            },
        )
        return version, replanned

    async def current(self, workspace_id: int) -> SlaSettings:
        return await self._store.load(workspace_id) or DEFAULT_SETTINGS


def _checked_settings(
    calendars: dict[str, object], policies: dict[str, object], now: datetime
) -> SlaRules:
    """Everything settings must pass to be saved at `now`, the field named otherwise."""
    # Depth and finite numbers first, so that nothing below meets a document it could choke
    # on; the count bound is loose, for the engine's own bounds to name what is too long.
    check_document(calendars, "calendars", max_values=MAX_SETTINGS_VALUES)
    check_document(policies, "policies", max_values=MAX_SETTINGS_VALUES)
    rules = SlaRules.admitted(SlaSettings(0, calendars, policies), now)
    # What the engine does not read (holiday names) is bounded by the document's size.
    if len(json.dumps([calendars, policies])) > LONGEST_SETTINGS:
        raise ConfigurationError("SLA settings", f"at most {LONGEST_SETTINGS} characters")
    return rules
