"""The audit trail over the API: GET /api/v1/audit (admin tokens), newest first, paged with
`before` (the `next_before` of the previous page)."""

from __future__ import annotations

from aiohttp import web

from inbox.domain.audit import AuditRow
from inbox.usecases.audit import PAGE_SIZE, AuditQuery
from web.caller import caller_of
from web.keys import services_of
from web.params import int_param


def audit_row_json(row: AuditRow) -> dict[str, object]:
    return {
        "id": row.entry_id,
        "at": row.at.isoformat(),
        "actor": {"kind": row.actor_kind.value, "id": row.actor_id, "name": row.actor_name},
        "action": row.action,
        "object": {"kind": row.object_kind, "id": row.object_id},
        "summary": row.summary,
        "address": row.address,
    }


async def list_audit(request: web.Request) -> web.Response:
    caller = await caller_of(request)
    query = AuditQuery(
        person=request.query.get("person", "")[:20],
        action=request.query.get("action", "")[:100],
        since=request.query.get("since", "")[:20],
        until=request.query.get("until", "")[:20],
    )
    size = int_param(request, "limit", PAGE_SIZE)
    assert size is not None
    page = await services_of(request).audit.read_for(
        caller, query, before=int_param(request, "before", None), size=size
    )
    return web.json_response(
        {"items": [audit_row_json(row) for row in page.rows], "next_before": page.next_before}
    )


def add_audit_api(api: web.Application) -> None:
    api.router.add_get("/audit", list_audit)
