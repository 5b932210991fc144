"""A thread's page and what an agent does on it: reply, move to a private message, note,
assign, snooze, resolve, correct.

The thread shows on the desk beside the list (`web.desk`), on its own page (`/threads/ID`:
deep links, notifications) and as a fragment the desk's script swaps in
(`/threads/ID?fragment=1&view=…`). Every action is a form posted with the session's CSRF
token and answered by a redirect back where it was posted from, the desk or the thread's page,
with a notice (Post/Redirect/Get). A reply that does not pass its checks is not sent: the page
comes back with the text as written and the warnings, to correct or to send anyway. Errors
become their pages in the pages' middleware (`web.errors`).
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, Field, StrictStr, field_validator

from inbox.domain.errors import InboxError, PermissionDeniedError
from inbox.domain.people import Role
from inbox.domain.web import WebSession
from inbox.usecases.audit import actor_of
from inbox.usecases.replies import ReplyChecksFailed, ReplyCollisionError
from inbox.usecases.web_pages import SNOOZES
from web.desk import (
    DESK,
    DeskPlace,
    back_to,
    desk_page,
    posted_from,
    thread_pane,
    with_notice,
)
from web.errors import BadRequestError
from web.keys import now, services_of
from web.params import LARGEST_ID, page_id
from web.rendering import render
from web.session import checked_form, required_session, session_token, signed_in
from web.validation import validated_form

# The answer to a reply its checks held back: it was not sent, the page says why.
NOT_SENT = 409


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


def _back(form: Any, thread_id: int, notice: str, told: int = 0) -> web.HTTPSeeOther:
    """Back where the form was posted from (`back`: the desk or the thread's page)."""
    where = back_to(str(form.get("back", "")), thread_id)
    return web.HTTPSeeOther(with_notice(where, notice, told))


async def thread_page(request: web.Request) -> web.Response:
    """The thread on its own page; with `fragment=1`, its pane alone for the desk whose
    view and filters the query names. The session and the thread are read in one
    statement."""
    try:
        thread_id = _thread_id(request)
        read = await services_of(request).inbox_pages.thread_read(session_token(request), thread_id)
    except InboxError:
        # Its page knows who asked (it offers a way out), or sends a stranger to log in.
        await required_session(request)
        raise
    if read is None:
        raise web.HTTPSeeOther("/login")
    session = signed_in(request, read.session)
    fragment = request.query.get("fragment") == "1"
    pane = await thread_pane(
        request,
        session,
        thread_id,
        place=DeskPlace.of(request.query) if fragment else None,
        notice=request.query.get("notice", ""),
        told=request.query.get("told", ""),
        read=read,
    )
    if fragment:
        return render("thread_fragment.html", instant=now(request), session=session, pane=pane)
    return await _own_page(request, session, pane)


async def _own_page(
    request: web.Request, session: WebSession, pane: dict[str, Any], status: int = 200
) -> web.Response:
    """The thread on a page of its own, the rail counting every view as the desk does."""
    counts = services_of(request).inbox_pages.kept_counts(session)
    return render(
        "thread.html", status, instant=now(request), session=session, pane=pane, view_counts=counts
    )


async def _not_sent(
    request: web.Request,
    session: WebSession,
    form: Any,
    thread_id: int,
    *,
    warnings: ReplyChecksFailed | None = None,
    others: bool = False,
) -> web.Response:
    """The page the reply was written on again, with its text and what held it back."""
    place = posted_from(str(form.get("back", "")))
    if place is not None:
        place = replace(place, thread_id=thread_id)
    pane = await thread_pane(
        request,
        session,
        thread_id,
        place=place,
        draft=str(form.get("body", ""))[:5000],
        warnings=warnings.warnings if warnings else (),
        others_replying=others or bool(warnings and warnings.others),
    )
    if place is not None:
        return await desk_page(request, session, place, pane, status=NOT_SENT)
    return await _own_page(request, session, pane, NOT_SENT)


async def _queue_reply(request: web.Request, *, private: bool) -> web.StreamResponse:
    """The reply box's text queued, in public or in private; the page again with the text
    and the reason when it is held (warnings, a colleague replying)."""
    doing, notice = ("writing privately", "private") if private else ("replying", "sent")
    session, form, thread_id = await _action(request, *DESK, doing=doing)
    replies = services_of(request).replies
    queue = replies.move_to_private if private else replies.send
    try:
        await queue(
            session.workspace_id,
            thread_id,
            session.agent_id,
            str(form.get("body", "")),
            key=str(form.get("key", ""))[:100] or secrets.token_urlsafe(16),
            by=actor_of(session),
            override=form.get("override") == "1",
        )
    except ReplyChecksFailed as held:
        return await _not_sent(request, session, form, thread_id, warnings=held)
    except ReplyCollisionError:
        return await _not_sent(request, session, form, thread_id, others=True)
    raise _back(form, thread_id, notice)


async def reply(request: web.Request) -> web.StreamResponse:
    return await _queue_reply(request, private=False)


async def move_to_private(request: web.Request) -> web.StreamResponse:
    """The reply box's text as a direct message, and "we've written to you in private" in
    public (once per thread)."""
    return await _queue_reply(request, private=True)


async def take_thread(request: web.Request) -> web.StreamResponse:
    session, form, thread_id = await _action(request, *DESK, doing="taking a thread")
    await services_of(request).inbox_pages.take(session, thread_id)
    raise _back(form, thread_id, "taken")


async def close_thread(request: web.Request) -> web.StreamResponse:
    """No reply needed: resolved, its waiting clock excluded from the figures."""
    return await _close(request, "no_reply_needed", "closed", "closing a thread")


async def resolve_thread(request: web.Request) -> web.StreamResponse:
    """An answered thread is done: resolved, its resolution clock stopped."""
    return await _close(request, "resolved", "resolved", "resolving a thread")


async def _close(request: web.Request, reason: str, notice: str, doing: str) -> web.StreamResponse:
    session, form, thread_id = await _action(request, *DESK, doing=doing)
    await services_of(request).close_without_reply(
        session.workspace_id, thread_id, reason, f"agent:{session.agent_id}"
    )
    raise _back(form, thread_id, notice)


async def add_note(request: web.Request) -> web.StreamResponse:
    session, form, thread_id = await _action(request)
    told = await services_of(request).inbox_pages.add_note(
        session, thread_id, str(form.get("body", ""))
    )
    raise _back(form, thread_id, "noted", len(told))


async def add_customer_note(request: web.Request) -> web.StreamResponse:
    session, form, thread_id = await _action(request)
    await services_of(request).inbox_pages.add_customer_note(
        session, thread_id, str(form.get("body", ""))
    )
    raise _back(form, thread_id, "customer_noted")


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
    raise _back(form, thread_id, "assigned")


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
    raise _back(form, thread_id, "woken" if hours is None else "snoozed")


async def correct_thread(request: web.Request) -> web.StreamResponse:
    """One click from the classification shown to its correction: kind or urgency."""
    session, form, thread_id = await _action(request, *DESK, doing="correcting a classification")
    correction = validated_form(CorrectionForm, form)
    await services_of(request).correct_classification(
        session.workspace_id, thread_id, correction.field, correction.value, actor_of(session),
    )  # fmt: skip
    raise _back(form, thread_id, "corrected")


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
        ("private", move_to_private),
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
