"""Replies and community answers: saying one is replying, sending a reply (exactly once per
idempotency key), a community member's answer, and its review by an agent."""

from __future__ import annotations

from aiohttp import web

from inbox.domain.people import Role
from inbox.usecases.audit import token_actor
from inbox.usecases.replies import ReplyChecksFailed, ReplyCollisionError
from web.api.bodies import CommunityAnswerBody, ReplyBody, ReviewBody
from web.api.roles import EDITORS
from web.caller import caller_of
from web.errors import json_error
from web.keys import services_of
from web.params import path_id
from web.validation import read_body


async def start_replying(request: web.Request) -> web.Response:
    """I am replying: POST /api/v1/threads/{id}/replying -> who else is, right now."""
    caller = await caller_of(request)
    caller.require(*EDITORS)
    others = await services_of(request).replies.start(
        caller.workspace_id, path_id(request, "thread_id"), caller.require_agent()
    )
    return web.json_response({"others_replying": others})


async def send_reply(request: web.Request) -> web.Response:
    """POST /api/v1/threads/{id}/replies {"body": "...", "key": "...", "override": false}:
    queued for posting; 409 when another agent is replying or the reply's checks warn
    (personal data in public, a promise when the team is closed, an open incident unsaid),
    unless overridden, and when it is too long for the network, whatever `override` says."""
    caller = await caller_of(request)
    caller.require(*EDITORS)
    agent_id = caller.require_agent()
    thread_id = path_id(request, "thread_id")
    reply = await read_body(request, ReplyBody)
    try:
        item = await services_of(request).replies.send(
            caller.workspace_id,
            thread_id,
            agent_id,
            reply.body,
            key=reply.key,
            by=token_actor(caller, request.remote),
            override=reply.override,
        )
    except ReplyCollisionError as exc:
        # More than a refusal: the answer says who is replying, for the client to show.
        return json_error(409, "collision", str(exc), others_replying=exc.others)
    except ReplyChecksFailed as exc:
        return json_error(
            409,
            "reply_checks",
            str(exc),
            # Whether sending again with "override": true would send it.
            overridable=not exc.blocking,
            warnings=[
                {"check": w.check.value, "message": w.message, "blocking": w.blocking}
                for w in exc.warnings
            ],
            others_replying=exc.others,
        )
    return web.json_response({"outbox_id": item.id, "status": item.status.value}, status=202)


async def submit_community_answer(request: web.Request) -> web.Response:
    """A community member answers a thread offered to them; it waits for an agent."""
    caller = await caller_of(request)
    caller.require(Role.COMMUNITY)
    answer = await read_body(request, CommunityAnswerBody)
    answer_id = await services_of(request).community_answers.submit(
        caller.workspace_id, path_id(request, "thread_id"), caller.require_agent(), answer.body
    )
    return web.json_response({"id": answer_id, "status": "pending"}, status=201)


async def pending_community_answers(request: web.Request) -> web.Response:
    caller = await caller_of(request)
    caller.require(*EDITORS)
    pending = await services_of(request).community_answers.pending(caller.workspace_id)
    items = [{**answer, "created_at": answer["created_at"].isoformat()} for answer in pending]
    return web.json_response({"items": items})


async def review_community_answer(request: web.Request) -> web.Response:
    """POST /api/v1/community-answers/{id}/review {"decision": "approve"|"edit"|"reject",
    "body": "edited text", "note": "..."}"""
    caller = await caller_of(request)
    caller.require(*EDITORS)
    answer_id = path_id(request, "answer_id")
    review = await read_body(request, ReviewBody)
    item = await services_of(request).community_answers.review(
        caller.workspace_id,
        answer_id,
        caller.require_agent(),
        review.decision,
        review.body,
        review.note,
    )
    return web.json_response(
        {"id": answer_id, "decision": review.decision, "outbox_id": item.id if item else None}
    )


async def my_contributions(request: web.Request) -> web.Response:
    caller = await caller_of(request)
    caller.require(Role.COMMUNITY)
    counts = await services_of(request).community_answers.contributions(
        caller.workspace_id, caller.require_agent()
    )
    return web.json_response(counts)


def add_reply_api(api: web.Application) -> None:
    api.router.add_post("/threads/{thread_id}/replying", start_replying)
    api.router.add_post("/threads/{thread_id}/replies", send_reply)
    api.router.add_post("/threads/{thread_id}/community-answers", submit_community_answer)
    api.router.add_get("/community-answers", pending_community_answers)
    api.router.add_post("/community-answers/{answer_id}/review", review_community_answer)
    api.router.add_get("/community/me", my_contributions)
