"""CSV files answered as they are written: spreadsheet-safe cells, one chunk per page of rows."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime, timedelta

from aiohttp import web

from inbox.domain.exports import ExportFilters, ExportRow
from web.errors import BadRequestError
from web.params import day_param, int_param

# Without dates, an export covers the last 30 days.
DEFAULT_DAYS = 30

# A cell starting with one of these is run as a formula by spreadsheets (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """Text typed by people or customers: one a spreadsheet would run as a formula is quoted."""
    return f"'{text}" if text[:1] in _FORMULA_STARTS else text


def _cell(value: str | int | datetime | None) -> str | int:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str):
        return spreadsheet_safe(value)
    return value


async def stream_csv(
    request: web.Request,
    filename: str,
    columns: Sequence[str],
    pages: AsyncIterator[list[ExportRow]],
) -> web.StreamResponse:
    """The header, then each page of rows as its own chunk: the file is never whole in memory.
    Whatever can be refused (role, filters) must be checked before: the answer has started."""
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        }
    )
    response.enable_chunked_encoding()
    await response.prepare(request)
    lines = io.StringIO()
    writer = csv.writer(lines)
    writer.writerow(columns)
    await response.write(lines.getvalue().encode("utf-8"))
    async for page in pages:
        lines.seek(0)
        lines.truncate()
        writer.writerows([_cell(value) for value in row] for row in page)
        await response.write(lines.getvalue().encode("utf-8"))
    await response.write_eof()
    return response


def export_filters(request: web.Request, today: date) -> ExportFilters:
    """`since` and `until` (days YYYY-MM-DD in UTC, both included; the last 30 days by
    default), `team` (an id) and `network` from the query."""
    until = day_param(request, "until", today) + timedelta(days=1)
    since = day_param(request, "since", today - timedelta(days=DEFAULT_DAYS - 1))
    team = int_param(request, "team", None)
    if team is not None and team < 1:
        raise BadRequestError("team", "a team id")
    network = request.query.get("network") or None
    return ExportFilters(since=since, until=until, team_id=team, network=network)
