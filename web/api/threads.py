"""Threads: the list, one thread with its messages, notes and assignments, adding a note, how
their SLA clocks were computed, closing without a reply, correcting the classification, and
claiming the next threads of one's queue."""

from __future__ import annotations

from aiohttp import web

from inbox.domain.thread import ThreadStatus
from inbox.usecases.audit import token_actor
from web.api.bodies import ClaimBody, ClassificationBody, CloseBody, NoteBody
from web.api.roles import EDITORS, STAFF
from web.caller import caller_of
from web.errors import BadRequestError
from web.keys import services_of
from web.params import int_param, path_id
from web.validation import read_body


def _statuses(raw: str | None) -> list[ThreadStatus]:
    if not raw:
        return list(ThreadStatus)
    try:
        return [ThreadStatus(part.strip()) for part in raw.split(",") if part.strip()]
    except ValueError as exc:
        allowed = ", ".join(s.value for s in ThreadStatus)
        raise BadRequestError("status", f"expected a comma-separated list of {allowed}") from exc


async def list_threads(request: web.Request) -> web.Response:
    caller = await caller_of(request)
    caller.require(*STAFF)
    limit = int_param(request, "limit", 50)
    assert limit is not None
    threads = await services_of(request).list_threads(
        caller.workspace_id,
        statuses=_statuses(request.query.get("status")),
        limit=limit,
        before_id=int_param(request, "before", None),
    )
    items = [t.model_dump(mode="json") for t in threads]
    next_before = threads[-1].id if len(threads) == limit and threads else None
    return web.json_response({"items": items, "next_before": next_before})


async def get_thread(request: web.Request) -> web.Response:
    """GET /api/v1/threads/{id}?after=&limit= : the thread, a page of its messages (the next
    page after `next_messages_after`), its notes and who held it."""
    caller = await caller_of(request)
    caller.require(*STAFF)
    thread = await services_of(request).thread_details.get(
        caller.workspace_id,
        path_id(request, "thread_id"),
        after=int_param(request, "after", None),
        limit=int_param(request, "limit", None),
    )
    return web.json_response(thread.model_dump(mode="json"))


async def add_thread_note(request: web.Request) -> web.Response:
    """POST /api/v1/threads/{id}/notes {"body": "..."}: an internal note, by the token's agent.
    Staff, ops included, as on the thread's page: they write what they know of an outage."""
    caller = await caller_of(request)
    caller.require(*STAFF)
    agent_id = caller.require_agent()
    thread_id = path_id(request, "thread_id")
    body = (await read_body(request, NoteBody)).body
    await services_of(request).thread_details.add_note(
        caller.workspace_id, thread_id, agent_id, body, token_actor(caller, request.remote)
    )
    return web.json_response({"thread_id": thread_id}, status=201)


async def explain_thread_sla(request: web.Request) -> web.Response:
    """How each SLA clock of a thread was computed: GET /api/v1/threads/{id}/sla"""
    caller = await caller_of(request)
    caller.require(*STAFF)
    thread_id = path_id(request, "thread_id")
    clocks = await services_of(request).explain_sla(caller.workspace_id, thread_id)
    return web.json_response({"thread_id": thread_id, "clocks": clocks})


async def close_thread(request: web.Request) -> web.Response:
    """Close without an answer: POST /api/v1/threads/{id}/close {"reason": "no_reply_needed"}"""
    caller = await caller_of(request)
    caller.require(*STAFF)
    thread_id = path_id(request, "thread_id")
    reason = (await read_body(request, CloseBody)).reason
    await services_of(request).close_without_reply(
        caller.workspace_id, thread_id, reason, f"token:{caller.token_id}"
    )
    return web.json_response({"thread_id": thread_id, "status": "resolved", "reason": reason})


async def correct_classification(request: web.Request) -> web.Response:
    """One-action correction: POST /api/v1/threads/{id}/classification
    {"field": "kind" | "language" | "urgency" | "topics", "value": ...}"""
    caller = await caller_of(request)
    caller.require(*EDITORS)
    thread_id = path_id(request, "thread_id")
    body = await read_body(request, ClassificationBody)
    old = await services_of(request).correct_classification(
        caller.workspace_id, thread_id, body.field, body.value, token_actor(caller, request.remote)
    )
    return web.json_response(
        {"thread_id": thread_id, "field": body.field, "old": old, "new": body.value}
    )


async def claim_threads(request: web.Request) -> web.Response:
    """The next threads of my queue: POST /api/v1/queue/claim {"count": 1}"""
    caller = await caller_of(request)
    caller.require(*EDITORS)
    agent_id = caller.require_agent()
    count = (await read_body(request, ClaimBody)).count
    claimed = await services_of(request).claim_next(caller.workspace_id, agent_id, count)
    return web.json_response(
        {
            "items": [
                {
                    "thread_id": c.thread_id,
                    "priority": c.priority,
                    "sla_due_at": c.sla_due_at.isoformat() if c.sla_due_at else None,
                }
                for c in claimed
            ]
        }
    )


def add_thread_api(api: web.Application) -> None:
    api.router.add_get("/threads", list_threads)
    api.router.add_get("/threads/{thread_id}", get_thread)
    api.router.add_post("/threads/{thread_id}/notes", add_thread_note)
    api.router.add_get("/threads/{thread_id}/sla", explain_thread_sla)
    api.router.add_post("/threads/{thread_id}/close", close_thread)
    api.router.add_post("/threads/{thread_id}/classification", correct_classification)
    api.router.add_post("/queue/claim", claim_threads)
