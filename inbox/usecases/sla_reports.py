"""SLA reports: checked parameters, then one SQL aggregate over the clocks."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from inbox.domain.clock import Clock
from inbox.domain.errors import ConfigurationError
from inbox.domain.sla import REPORT_DIMENSIONS, SlaReportRow
from inbox.ports.sla import SlaGauges, SlaReports

MAX_RANGE = timedelta(days=366)


class ReportRequestError(ConfigurationError):
    """A report's parameter is malformed: bad input, like any other, naming it."""

    def __init__(self, parameter: str, reason: str) -> None:
        super().__init__(parameter, reason)
        self.parameter = parameter


class SlaReport:
    def __init__(self, reports: SlaReports, *, clock: Clock) -> None:
        self._reports = reports
        self._clock = clock

    async def __call__(
        self,
        workspace_id: int,
        *,
        by: str,
        since: datetime,
        until: datetime,
        time_zone: str = "UTC",
        assignee_id: int | None = None,
    ) -> list[SlaReportRow]:
        """The clocks started between `since` and `until`, grouped `by` a dimension (days
        in `time_zone`); only those of the threads `assignee_id` holds, if given (a
        person's own figures)."""
        if by not in REPORT_DIMENSIONS:
            raise ReportRequestError("by", f"one of {', '.join(REPORT_DIMENSIONS)}")
        try:
            ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ReportRequestError("tz", f"unknown time zone {time_zone[:60]!r}") from exc
        if until <= since:
            raise ReportRequestError("to", "must be after from")
        if until - since > MAX_RANGE:
            raise ReportRequestError("to", "a report covers at most 366 days")
        return await self._reports.report(
            workspace_id, by, since, until, time_zone, self._clock(), assignee_id
        )


class SlaNow:
    """Running clocks, those at risk in the next 15 minutes, overdue ones, events fired."""

    def __init__(self, gauges: SlaGauges, *, clock: Clock) -> None:
        self._gauges = gauges
        self._clock = clock

    async def __call__(self, workspace_id: int) -> dict[str, int]:
        return await self._gauges.gauges(workspace_id, self._clock())

    async def waiting_on(
        self, workspace_id: int, agent_id: int, now: datetime | None = None
    ) -> dict[str, int]:
        """The customers waiting on one person's threads, by how long they have waited (at
        `now`, the caller's present; this use case's clock by default)."""
        return await self._gauges.waiting_on(workspace_id, now or self._clock(), agent_id)
