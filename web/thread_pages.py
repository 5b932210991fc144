"""A thread's page and what an agent does on it: reply, note, assign, snooze, resolve, correct.

Every action is a form posted with the session's CSRF token and answered by a redirect back
to the thread with a notice (Post/Redirect/Get); errors become their pages in the pages'
middleware (`web.errors`).
"""

from __future__ import annotations

import secrets
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, Field, StrictStr, field_validator

from inbox.domain.errors import NotFoundError, PermissionDeniedError
from inbox.domain.people import Role
from inbox.domain.thread import Priority, ThreadKind
from inbox.domain.web import WebSession
from inbox.usecases.replies import ReplyCollisionError
from inbox.usecases.web_pages import SNOOZES
from web.errors import BadRequestError
from web.keys import now, services_of
from web.params import LARGEST_ID, page_id
from web.rendering import render
from web.session import checked_form, required_session
from web.validation import validated_form

THREAD_KINDS = tuple(k.value for k in ThreadKind if k is not ThreadKind.UNCLASSIFIED)
URGENCIES = tuple(p.value for p in Priority)
# What a post may hold on each network; the reply box counts down from it.
CHARACTER_LIMITS = {"x": 280, "mastodon": 500, "bluesky": 300}
# Who may change a thread's state (community members answer through their own flow).
DESK = (Role.AGENT, Role.LEAD, Role.ADMIN)
NOTICES = {
    "sent": "Reply queued: it leaves through the connected account.",
    "collision": "A colleague is replying to this thread: tick the box to send anyway.",
    "taken": "The thread is yours.",
    "assigned": "Assigned.",
    "closed": "Closed: no reply needed. A new message from the customer reopens it.",
    "resolved": "Resolved. A new message from the customer reopens it.",
    "snoozed": "Snoozed: it comes back on its own, or when the customer writes.",
    "woken": "Back in its views.",
    "corrected": "Classification corrected; the SLA deadline follows it.",
    "noted": "Note added (colleagues only).",
    "customer_noted": "Note about the customer added: it shows on all their threads.",
}


def _thread_id(request: web.Request) -> int:
    return page_id(request, "thread_id", "thread")


async def _action(
    request: web.Request, *roles: Role, doing: str = "this"
) -> tuple[WebSession, Any, int]:
    """The session, its checked form and the thread of a posted action; 403 without a role."""
    session = await required_session(request)
    form = await checked_form(request, session)
    if roles and not session.has(*roles):
        raise PermissionDeniedError(f"{doing} is for agents, leads and admins")
    return session, form, _thread_id(request)


def _back(thread_id: int, notice: str, extra: str = "") -> web.HTTPSeeOther:
    return web.HTTPSeeOther(f"/threads/{thread_id}?notice={notice}{extra}")


async def thread_page(request: web.Request) -> web.Response:
    session = await required_session(request)
    services = services_of(request)
    page = await services.inbox_pages.thread(session, _thread_id(request))
    try:
        clocks = await services.explain_sla(session.workspace_id, page.thread_id)
    except NotFoundError:
        clocks = []
    preferences = await services.workspace_preferences.load(session.workspace_id)
    customer = next((m.author for m in reversed(page.messages) if m.inbound), "")
    canned = [
        (r.name, r.filled(customer=f"@{customer}" if customer else "", agent=session.name,
                          thread=page.thread_id))
        for r in await services.canned.all(session.workspace_id)
    ]  # fmt: skip
    return render(
        "thread.html",
        instant=now(request),
        session=session,
        page=page,
        incidents=await services.incidents.banners(session, page.thread_id),
        canned=canned,
        limit=CHARACTER_LIMITS.get(page.network, 5000),
        reply_key=secrets.token_urlsafe(16),
        notice=NOTICES.get(request.query.get("notice", "")),
        clocks=clocks,
        crm_url=preferences.crm_url(page.customer.crm_id if page.customer else None),
        kinds=THREAD_KINDS,
        urgencies=URGENCIES,
        told=request.query.get("told", "")[:200],
        # Only the actions the person may take are offered: ops read and write notes.
        can_act=session.has(*DESK),
    )


async def reply(request: web.Request) -> web.StreamResponse:
    session, form, thread_id = await _action(request, *DESK, doing="replying")
    try:
        await services_of(request).replies.send(
            session.workspace_id,
            thread_id,
            session.agent_id,
            str(form.get("body", "")),
            key=str(form.get("key", ""))[:100] or secrets.token_urlsafe(16),
            override=form.get("override") == "1",
        )
    except ReplyCollisionError:
        raise _back(thread_id, "collision") from None
    raise _back(thread_id, "sent")


async def take_thread(request: web.Request) -> web.StreamResponse:
    session, _, thread_id = await _action(request, *DESK, doing="taking a thread")
    await services_of(request).inbox_pages.take(session, thread_id)
    raise _back(thread_id, "taken")


async def close_thread(request: web.Request) -> web.StreamResponse:
    """No reply needed: resolved, its waiting clock excluded from the figures."""
    return await _close(request, "no_reply_needed", "closed", "closing a thread")


async def resolve_thread(request: web.Request) -> web.StreamResponse:
    """An answered thread is done: resolved, its resolution clock stopped."""
    return await _close(request, "resolved", "resolved", "resolving a thread")


async def _close(request: web.Request, reason: str, notice: str, doing: str) -> web.StreamResponse:
    session, _, thread_id = await _action(request, *DESK, doing=doing)
    await services_of(request).close_without_reply(
        session.workspace_id, thread_id, reason, f"agent:{session.agent_id}"
    )
    raise _back(thread_id, notice)


async def add_note(request: web.Request) -> web.StreamResponse:
    session, form, thread_id = await _action(request)
    told = await services_of(request).inbox_pages.add_note(
        session, thread_id, str(form.get("body", ""))
    )
    raise _back(thread_id, "noted", f"&told={len(told)}" if told else "")


async def add_customer_note(request: web.Request) -> web.StreamResponse:
    session, form, thread_id = await _action(request)
    await services_of(request).inbox_pages.add_customer_note(
        session, thread_id, str(form.get("body", ""))
    )
    raise _back(thread_id, "customer_noted")


def _optional_id(value: object) -> int | None:
    text = str(value or "").strip()
    if not text:
        return None
    try:
        number = int(text)
    except ValueError:
        number = 0
    if not 1 <= number <= LARGEST_ID:
        raise BadRequestError("assignee", "not a known colleague or team")
    return number


async def assign_thread(request: web.Request) -> web.StreamResponse:
    """To a colleague ("agent:ID") or to a team's queue ("team:ID")."""
    session, form, thread_id = await _action(request)
    kind, _, key = str(form.get("to", "")).partition(":")
    agent_id = _optional_id(key) if kind == "agent" else None
    team_id = _optional_id(key) if kind == "team" else None
    await services_of(request).inbox_pages.assign(session, thread_id, agent_id, team_id)
    raise _back(thread_id, "assigned")


class SnoozeForm(BaseModel):
    """`for`: how long (one of SNOOZES), or `wake` to bring the thread back now."""

    choice: StrictStr = Field(alias="for")

    @field_validator("choice")
    @classmethod
    def _offered(cls, choice: str) -> str:
        if choice != "wake" and choice not in SNOOZES:
            raise ValueError(f"one of {', '.join(SNOOZES)} or wake")
        return choice

    @property
    def hours(self) -> float | None:
        return None if self.choice == "wake" else SNOOZES[self.choice]


class CorrectionForm(BaseModel):
    """What the page corrects in one click; the use case checks the value against it."""

    field: Literal["kind", "urgency"]
    value: StrictStr = ""


async def snooze_thread(request: web.Request) -> web.StreamResponse:
    session, form, thread_id = await _action(request, *DESK, doing="snoozing a thread")
    hours = validated_form(SnoozeForm, form).hours
    await services_of(request).inbox_pages.snooze(session, thread_id, hours)
    raise _back(thread_id, "woken" if hours is None else "snoozed")


async def correct_thread(request: web.Request) -> web.StreamResponse:
    """One click from the classification shown to its correction: kind or urgency."""
    session, form, thread_id = await _action(request, *DESK, doing="correcting a classification")
    correction = validated_form(CorrectionForm, form)
    await services_of(request).correct_classification(
        session.workspace_id, thread_id, correction.field, correction.value,
        f"agent:{session.agent_id}",
    )  # fmt: skip
    raise _back(thread_id, "corrected")


async def start_replying(request: web.Request) -> web.Response:
    """The page says the agent opened the reply box: colleagues see it, and the collision
    guard warns whoever sends second."""
    session, _, thread_id = await _action(request, *DESK, doing="replying")
    others = await services_of(request).replies.start(
        session.workspace_id, thread_id, session.agent_id
    )
    return web.json_response({"others_replying": len(others)})


def add_thread_pages(app: web.Application) -> None:
    app.router.add_get("/threads/{thread_id}", thread_page)
    for action, handler in (
        ("reply", reply),
        ("take", take_thread),
        ("close", close_thread),
        ("notes", add_note),
        ("customer-notes", add_customer_note),
        ("assign", assign_thread),
        ("resolve", resolve_thread),
        ("snooze", snooze_thread),
        ("classification", correct_thread),
        ("replying", start_replying),
    ):
        app.router.add_post(f"/threads/{{thread_id}}/{action}", handler)
