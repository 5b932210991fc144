"""The agent's flow on the desk: take the next thread, set one's own status, act on several
threads at once, tag a thread, and every view's count for the rail.

Each action is a form posted with the session's CSRF token and answered by a redirect
(Post/Redirect/Get), what was done said on the page it returns to. A page's script that asks
for JSON (`Accept: application/json`) gets the same sentence as JSON and stays where it is:
the agent's selection is kept and the rows change live.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from multidict import MultiDictProxy
from pydantic import BaseModel, StrictStr, field_validator

from inbox.domain.bulk import MOST_THREADS, AssignTarget, BulkAction, BulkOutcome, Skipped
from inbox.domain.errors import ConflictError, NotFoundError, PermissionDeniedError
from inbox.domain.people import Role
from inbox.domain.presence import AgentStatus
from inbox.domain.web import WebSession
from inbox.usecases.web_pages import SNOOZES, VIEWS
from web.desk import DeskPlace, back_to
from web.errors import BadRequestError
from web.keys import services_of
from web.notices import notice_query
from web.params import LARGEST_ID, page_id
from web.session import checked_form, required_session
from web.templating import ROUTED
from web.validation import validated_form

# Who may change threads (ops read them and write notes; community members answer theirs).
DESK = (Role.AGENT, Role.LEAD, Role.ADMIN)
NOTHING_TO_CLAIM = (
    "Nothing to take: no thread waits in your teams' queues, or you hold as many as you can."
)


def thread_address(thread_id: int, view: str) -> str:
    """Where a thread opens: on the desk, beside the list of `view`."""
    return DeskPlace.of({"view": view}).url(thread_id=thread_id)


def _wants_json(request: web.Request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _view(form: MultiDictProxy[Any]) -> str:
    view = str(form.get("view", "mine"))
    return view if view in VIEWS else "mine"


def _back_to_view(form: MultiDictProxy[Any], session: WebSession, text: str) -> str:
    """The view the form was sent from, with its filters kept out of it, saying `text`."""
    return f"/inbox?view={_view(form)}&{notice_query(session, text)}"


async def claim_next(request: web.Request) -> web.StreamResponse:
    """The most pressing thread of the agent's queue becomes theirs, and opens."""
    session = await required_session(request)
    form = await checked_form(request, session)
    if not session.has(*DESK):
        raise PermissionDeniedError("taking threads is for agents, leads and admins")
    claimed = await services_of(request).claim_next(session.workspace_id, session.agent_id)
    if not claimed:
        if _wants_json(request):
            return web.json_response({"said": NOTHING_TO_CLAIM})
        raise web.HTTPSeeOther(_back_to_view(form, session, NOTHING_TO_CLAIM))
    address = thread_address(claimed[0].thread_id, _view(form))
    if _wants_json(request):
        return web.json_response({"thread_id": claimed[0].thread_id, "url": address})
    raise web.HTTPSeeOther(address)


def _local_address(referer: str | None) -> str | None:
    """The path and query of a same-site address, never another site's."""
    if not referer:
        return None
    parts = urlsplit(referer)
    path = parts.path
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return None
    return path + (f"?{parts.query}" if parts.query else "")


async def set_status(request: web.Request) -> web.StreamResponse:
    """Available, busy or away, from the rail of any page; back to that page."""
    session = await required_session(request)
    form = await checked_form(request, session)
    if not session.has(*ROUTED):
        raise PermissionDeniedError("a status is for those routing gives threads to")
    status = AgentStatus.parse(str(form.get("status", "")))
    await services_of(request).set_status(session.workspace_id, session.agent_id, status)
    if _wants_json(request):
        return web.json_response({"status": status.value})
    # Same-site forms send their page's address (the pages' Referrer-Policy is same-origin).
    referer = request.headers.get("Referer")
    same_site = referer is not None and urlsplit(referer).netloc == request.host
    back = _local_address(referer) if same_site else None
    raise web.HTTPSeeOther(back or ("/inbox" if session.has(*DESK, Role.OPS) else "/me"))


class BulkForm(BaseModel):
    """What the list's toolbar sends besides the threads: the action and its one argument."""

    action: BulkAction
    to: StrictStr = ""  # "me", "agent:ID" or "team:ID"
    tag: StrictStr = ""
    snooze: StrictStr = ""  # one of SNOOZES

    @field_validator("snooze")
    @classmethod
    def _offered(cls, choice: str) -> str:
        if choice and choice not in SNOOZES:
            raise ValueError(f"one of {', '.join(SNOOZES)}")
        return choice


def _thread_ids(form: MultiDictProxy[Any]) -> list[int]:
    values = form.getall("thread", [])
    if not values:
        raise BadRequestError("thread", "select at least one thread")
    if len(values) > MOST_THREADS:
        raise BadRequestError("thread", f"at most {MOST_THREADS} threads at once")
    ids = []
    for value in values:
        text = str(value)
        if not text.isdigit() or not 1 <= int(text) <= LARGEST_ID:
            raise BadRequestError("thread", f"not a thread id: {text[:20]!r}")
        ids.append(int(text))
    return ids


def _target(session: WebSession, to: str) -> AssignTarget:
    if to == "me":
        return AssignTarget(agent_id=session.agent_id)
    kind, _, key = to.partition(":")
    if kind in ("agent", "team") and key.isdigit() and 1 <= int(key) <= LARGEST_ID:
        if kind == "agent":
            return AssignTarget(agent_id=int(key))
        return AssignTarget(team_id=int(key))
    raise BadRequestError("to", "choose yourself, a colleague or a team")


async def act_on_selection(request: web.Request) -> web.StreamResponse:
    """The toolbar of the list: one action on the threads selected, in one transaction."""
    session = await required_session(request)
    form = await checked_form(request, session)
    if not session.has(*DESK):  # who may not act is told so before what they sent is read
        raise PermissionDeniedError("acting on threads is for agents, leads and admins")
    ids = _thread_ids(form)
    asked = validated_form(BulkForm, form)
    bulk = services_of(request).bulk
    outcome: BulkOutcome
    if asked.action is BulkAction.ASSIGN:
        outcome = await bulk.assign(session, ids, _target(session, asked.to))
    elif asked.action is BulkAction.TAG:
        outcome = await bulk.tag(session, ids, asked.tag)
    elif asked.action is BulkAction.UNTAG:
        outcome = await bulk.untag(session, ids, asked.tag)
    elif asked.action is BulkAction.SNOOZE:
        if not asked.snooze:
            raise BadRequestError("snooze", f"one of {', '.join(SNOOZES)}")
        outcome = await bulk.snooze(session, ids, SNOOZES[asked.snooze])
    else:
        outcome = await bulk.close(session, ids)
    text = outcome.sentence()
    if _wants_json(request):
        return web.json_response(
            {
                "said": text,
                "done": list(outcome.done),
                "skipped": sum(outcome.skipped.values()),
            }
        )
    raise web.HTTPSeeOther(_back_to_view(form, session, text))


async def edit_tags(request: web.Request) -> web.StreamResponse:
    """A tag added to the thread (`add`) or taken off it (`remove`), from its page."""
    session = await required_session(request)
    form = await checked_form(request, session)
    thread_id = page_id(request, "thread_id", "thread")
    bulk = services_of(request).bulk
    if "remove" in form:
        outcome = await bulk.untag(session, [thread_id], str(form.get("remove", "")))
    else:
        outcome = await bulk.tag(session, [thread_id], str(form.get("add", "")))
    if outcome.skipped[Skipped.NOT_FOUND]:
        raise NotFoundError("thread", thread_id)
    if outcome.skipped[Skipped.TOO_MANY_TAGS]:
        raise ConflictError("the thread has as many tags as it may hold: remove one first")
    # Back where it was posted from: the desk with the thread open, or the thread's page.
    raise web.HTTPSeeOther(f"{back_to(str(form.get('back', '')), thread_id)}#tags")


async def view_counts(request: web.Request) -> web.Response:
    """Every view's count for the person, for the rail: `{"mine": 12, ...}`."""
    session = await required_session(request)
    counts = await services_of(request).inbox_pages.counts(session)
    return web.json_response(counts, headers={"Cache-Control": "no-store"})


def add_desk_actions(app: web.Application) -> None:
    app.router.add_post("/inbox/next", claim_next)
    app.router.add_post("/inbox/selection", act_on_selection)
    app.router.add_get("/inbox/counts", view_counts)
    app.router.add_post("/me/status", set_status)
    app.router.add_post("/threads/{thread_id}/tags", edit_tags)
