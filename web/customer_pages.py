"""The customer's pages: the record and every thread of every identity (`/customers/ID`),
its edit form (also on the thread's sidebar), merge, split and the undoing of a merge, and
the review list of customers that may be one person (`/customers/suggestions`, leads).

Reading is for staff (ops read); changes are for agents, leads and admins; community
members get none of it. Forms carry the session's CSRF token and answer with a redirect
(Post/Redirect/Get)."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel, StrictStr

from inbox.domain.customer_record import MERGE_FIELDS, CustomerRecord
from inbox.domain.errors import PermissionDeniedError
from inbox.domain.people import Role
from inbox.domain.web import WebSession
from inbox.usecases.audit import actor_of
from inbox.usecases.customers import RecordEdit
from web.desk import back_to, with_notice
from web.errors import BadRequestError
from web.keys import now, services_of
from web.params import LARGEST_ID, page_id
from web.rendering import render
from web.session import checked_form, required_session
from web.validation import validated_form

STAFF = (Role.AGENT, Role.LEAD, Role.OPS, Role.ADMIN)
EDITORS = (Role.AGENT, Role.LEAD, Role.ADMIN)
LEADS = (Role.LEAD, Role.ADMIN)
# The fields a merge may need a choice on, as the form names them.
FIELD_NAMES = {
    "vip": "VIP",
    "owner": "who follows them",
    "crm_id": "CRM id",
    "language": "language",
}
SAVED = {
    "saved": "Customer record saved.",
    "merged": "Merged: their identities, threads and notes are on this customer now.",
    "split": "Split off into a customer of their own.",
    "undone": "Merge undone: both customers are as they were.",
}


def _require(session: WebSession, roles: tuple[Role, ...], doing: str) -> None:
    if not session.has(*roles):
        allowed = ", ".join(r.value for r in roles)
        raise PermissionDeniedError(f"{doing} is for {allowed}")


async def _posted(request: web.Request, doing: str) -> tuple[WebSession, Any]:
    session = await required_session(request)
    form = await checked_form(request, session)
    _require(session, EDITORS, doing)
    return session, form


def _customer_id(request: web.Request) -> int:
    return page_id(request, "customer_id", "customer")


def _form_id(form: Any, name: str) -> int:
    raw = str(form.get(name, "")).strip()
    if not raw.isdigit() or not 1 <= int(raw[:20]) <= LARGEST_ID:
        raise BadRequestError(name, "expected the number of one shown on the page")
    return int(raw)


def _shown(record: CustomerRecord, field: str) -> str:
    """A record's value of a merge field, in words."""
    fields = record.fields
    if field == "vip":
        return "VIP" if fields.vip else "not VIP"
    if field == "owner":
        return f"followed by {record.owner_name}" if record.owner_name else "nobody"
    value = fields.crm_id if field == "crm_id" else fields.language
    return value or "none"


async def customer_page(request: web.Request) -> web.StreamResponse:
    session = await required_session(request)
    _require(session, STAFF, "the customer record")
    customer_id = _customer_id(request)
    customers = services_of(request).customers
    record = await customers.show(session.workspace_id, customer_id)
    if record.merged_into_id is not None:
        raise web.HTTPSeeOther(f"/customers/{record.merged_into_id}")
    suggested = await customers.suggested_for(session.workspace_id, customer_id)
    conflicts = {
        other.id: await customers.conflicts(session.workspace_id, customer_id, other.id)
        for _, other in suggested
    }
    return render(
        "customer.html",
        instant=now(request),
        session=session,
        record=record,
        threads=await customers.threads(session.workspace_id, customer_id),
        changes=await customers.changes(session.workspace_id, customer_id),
        suggested=suggested,
        conflicts=conflicts,
        colleagues=await customers.owners(session.workspace_id),
        can_edit=session.has(*EDITORS),
        field_names=FIELD_NAMES,
        shown=_shown,
        notice=SAVED.get(request.query.get("notice", "")),
    )


async def suggestions_page(request: web.Request) -> web.Response:
    session = await required_session(request)
    _require(session, LEADS, "reviewing suggestions")
    pairs = await services_of(request).customers.review_list(session.workspace_id)
    return render(
        "customer_suggestions.html",
        instant=now(request),
        session=session,
        pairs=pairs,
    )


class RecordForm(BaseModel):
    """The record's form: an unticked box sends no `vip`, hence its hidden companion."""

    vip: StrictStr = ""
    owner: StrictStr = ""
    crm_id: StrictStr = ""
    tags: StrictStr = ""
    language: StrictStr = ""


def _after(form: Any, customer_id: int, notice: str) -> web.HTTPSeeOther:
    """Back to the thread the sidebar's form was posted from, else the customer's page."""
    thread = str(form.get("thread", ""))
    if thread.isdigit() and 1 <= int(thread[:20]) <= LARGEST_ID:
        where = back_to(str(form.get("back", "")), int(thread))
        return web.HTTPSeeOther(with_notice(where, "customer_saved"))
    return web.HTTPSeeOther(with_notice(f"/customers/{customer_id}", notice))


async def save_record(request: web.Request) -> web.StreamResponse:
    session, form = await _posted(request, "editing a customer")
    customer_id = _customer_id(request)
    posted = validated_form(RecordForm, form)
    owner = posted.owner.strip()
    if owner and not owner.isdigit():
        raise BadRequestError("owner", "choose a colleague from the list")
    await services_of(request).customers.edit(
        session.workspace_id,
        customer_id,
        RecordEdit(
            vip=posted.vip == "1",
            owner_agent_id=int(owner[:20]) if owner else 0,
            crm_id=posted.crm_id,
            tags=tuple(posted.tags.split(",")),
            language=posted.language,
        ),
        actor_of(session),
    )
    raise _after(form, customer_id, "saved")


async def merge(request: web.Request) -> web.StreamResponse:
    """Fold the customer the form names into this one; where both differ, the form's
    `keep_FIELD` radio says whose value stays (409 naming them when one is missing)."""
    session, form = await _posted(request, "merging customers")
    customer_id = _customer_id(request)
    choices: dict[str, str] = {
        name: str(form[f"keep_{name}"]) for name in MERGE_FIELDS if f"keep_{name}" in form
    }
    await services_of(request).customers.merge(
        session.workspace_id,
        customer_id,
        _form_id(form, "other"),
        choices=choices,
        by=actor_of(session),
        reason=str(form.get("reason", "")),
    )
    raise web.HTTPSeeOther(with_notice(f"/customers/{customer_id}", "merged"))


async def split(request: web.Request) -> web.StreamResponse:
    session, form = await _posted(request, "splitting a customer")
    customer_id = _customer_id(request)
    new_id = await services_of(request).customers.split(
        session.workspace_id,
        customer_id,
        _form_id(form, "identity"),
        by=actor_of(session),
        reason=str(form.get("reason", "")),
    )
    raise web.HTTPSeeOther(with_notice(f"/customers/{new_id}", "split"))


async def undo(request: web.Request) -> web.StreamResponse:
    session, _ = await _posted(request, "undoing a merge")
    change = await services_of(request).customers.undo_merge(
        session.workspace_id, page_id(request, "change_id", "change"), actor_of(session)
    )
    raise web.HTTPSeeOther(with_notice(f"/customers/{change.customer_id}", "undone"))


def add_customer_pages(app: web.Application) -> None:
    # The review list first: its address would otherwise read as a customer's.
    app.router.add_get("/customers/suggestions", suggestions_page)
    app.router.add_get("/customers/{customer_id}", customer_page)
    app.router.add_post("/customers/{customer_id}/record", save_record)
    app.router.add_post("/customers/{customer_id}/merge", merge)
    app.router.add_post("/customers/{customer_id}/split", split)
    app.router.add_post("/customer-changes/{change_id}/undo", undo)
