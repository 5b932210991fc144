"""The audit trail (admins): who changed settings, people and access, filtered by person,
action and days, newest first, a page at a time; with `format=csv`, every row the filters
keep, as a CSV file streamed a page at a time."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from inbox.domain.errors import ConfigurationError
from inbox.domain.web import WebSession
from inbox.usecases.admin_access import Section
from inbox.usecases.audit import LARGEST_PAGE, AuditQuery
from web.admin.common import admin, admin_session, page
from web.csv_export import spreadsheet_safe
from web.keys import services_of
from web.params import int_param

PATH = "/admin/audit"
# The actions use cases record, offered in the filter (any other typed is still searched).
KNOWN_ACTIONS = (
    "person_added",
    "work_changed",
    "roles_changed",
    "password_reset",
    "person_deactivated",
    "person_reactivated",
    "two_factor_on",
    "two_factor_off",
    "two_factor_reset",
    "recovery_codes_renewed",
    "two_factor_requirement_changed",
    "team_created",
    "team_changed",
    "calendars_changed",
    "sla_policies_changed",
    "routing_changed",
    "account_added",
    "account_credentials_set",
    "account_enabled",
    "account_disabled",
    "webhook_added",
    "webhook_removed",
    "workspace_created",
    "preferences_changed",
    "token_created",
    "agent_saved",
    "account_registered",
    "account_connected",
    "routing_imported",
    "sla_settings_imported",
    "auto_merge_changed",
    "customer_edited",
    "customers_merged",
    "customer_split",
    "customer_merge_undone",
    "customers_imported",
    "thread_taken",
    "thread_assigned",
    "note_added",
    "customer_note_added",
    "reply_sent",
    "private_message_sent",
    "classification_corrected",
    "threads_assign",
    "threads_tag",
    "threads_untag",
    "threads_snooze",
    "threads_close",
    "exported",
)


def summary_lines(summary: Mapping[str, object]) -> list[tuple[str, str]]:
    """A summary as lines to read: a before/after pair as "before → after"."""
    if set(summary) >= {"before", "after"}:
        rest = {k: v for k, v in summary.items() if k not in ("before", "after")}
        if isinstance(summary["before"], Mapping) and isinstance(summary["after"], Mapping):
            before, after = summary["before"], summary["after"]
            changed = [
                (name, f"{_shown(before.get(name))} → {_shown(after.get(name))}")
                for name in sorted({*before, *after})
                if before.get(name) != after.get(name)
            ]
            return changed + summary_lines(rest)
        pair = f"{_shown(summary['before'])} → {_shown(summary['after'])}"
        return [("change", pair), *summary_lines(rest)]
    return [(name, _shown(value)) for name, value in summary.items()]


def _shown(value: object) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_shown(item) for item in value) or "none"
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {_shown(v)}" for k, v in value.items())
    return str(value)


def _query(request: web.Request) -> AuditQuery:
    return AuditQuery(
        person=request.query.get("person", "")[:20],
        action=request.query.get("action", "")[:100],
        since=request.query.get("since", "")[:20],
        until=request.query.get("until", "")[:20],
    )


def _next_link(query: AuditQuery, before: int) -> str:
    return _link(query, before=str(before))


def _link(query: AuditQuery, **extra: str) -> str:
    """This page's address with the query's filters kept, and `extra`."""
    kept = {
        "person": query.person,
        "action": query.action,
        "since": query.since,
        "until": query.until,
    }
    params = {name: value for name, value in kept.items() if value}
    return f"{PATH}?{urlencode({**params, **extra})}"


async def audit_page(request: web.Request) -> web.StreamResponse:
    session = await admin_session(request, Section.AUDIT)
    query = _query(request)
    if request.query.get("format") == "csv":
        return await _csv(request, session, query)
    before = int_param(request, "before", None)
    people = await admin(request).people.all(session)
    context: dict[str, Any] = {
        "query": query,
        "people": people,
        # A person the trail names is shown by name (as now), not by number.
        "names": {str(p.agent_id): p.name for p in people},
        "actions": KNOWN_ACTIONS,
        "rows": [],
        "next_link": None,
        "first_page": before is None,
        "csv_link": None,
        "summary_lines": summary_lines,
    }
    try:
        found = await services_of(request).audit.read(session, query, before)
    except ConfigurationError as exc:
        return _page(request, session, context, status=400, error=exc)
    context["rows"] = found.rows
    if found.next_before is not None:
        context["next_link"] = _next_link(query, found.next_before)
    context["csv_link"] = _link(query, format="csv")
    return _page(request, session, context)


CSV_COLUMNS = ("id", "at", "actor_kind", "actor_id", "actor", "action", "object_kind",
               "object_id", "change", "address")  # fmt: skip


async def _csv(request: web.Request, session: WebSession, query: AuditQuery) -> web.StreamResponse:
    """Checked before the answer starts (a bad filter is the page's 400), then written as
    it is read: the file never sits whole in memory."""
    audit = services_of(request).audit
    found = await audit.read(session, query, None, LARGEST_PAGE)
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": 'attachment; filename="audit-trail.csv"',
        }
    )
    await response.prepare(request)
    lines = io.StringIO()
    writer = csv.writer(lines)
    writer.writerow(CSV_COLUMNS)
    while True:
        for row in found.rows:
            writer.writerow(
                [
                    row.entry_id,
                    row.at.isoformat(),
                    row.actor_kind.value,
                    "" if row.actor_id is None else row.actor_id,
                    spreadsheet_safe(row.actor_name),
                    row.action,
                    row.object_kind,
                    spreadsheet_safe(row.object_id or ""),
                    spreadsheet_safe("; ".join(f"{k}: {v}" for k, v in summary_lines(row.summary))),
                    row.address or "",
                ]
            )
        await response.write(lines.getvalue().encode("utf-8"))
        lines.seek(0)
        lines.truncate()
        if found.next_before is None:
            break
        found = await audit.read(session, query, found.next_before, LARGEST_PAGE)
    await response.write_eof()
    return response


def _page(
    request: web.Request,
    session: WebSession,
    context: dict[str, Any],
    *,
    status: int = 200,
    error: ConfigurationError | None = None,
) -> web.Response:
    return page(
        request, "admin_audit.html", session, Section.AUDIT, status=status, error=error, **context
    )
