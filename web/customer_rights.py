"""A customer's access and erasure requests, for admins: the page that serves both
(`/customers/ID/rights`), the zip file of everything held about the person, and the erasure,
posted from the page's confirmation form (the admin types the customer's number).

Both forms carry the session's CSRF token; the use case checks the admin role and the
workspace, and records each request in the audit trail."""

from __future__ import annotations

from aiohttp import web

from inbox.usecases.customer_rights import requested_in_session
from web.customer_export import send_customer_export
from web.desk import with_notice
from web.errors import BadRequestError
from web.keys import now, services_of
from web.params import page_id
from web.rendering import render
from web.session import checked_form, required_session

NOTICES = {"erased": "Erased: their texts, names and notes are gone; the counts stay."}


def _customer_id(request: web.Request) -> int:
    return page_id(request, "customer_id", "customer")


async def rights_page(request: web.Request) -> web.Response:
    session = await required_session(request)
    asked = requested_in_session(session)
    customer_id = _customer_id(request)
    services = services_of(request)
    record = await services.customers.show(session.workspace_id, customer_id)
    if record.merged_into_id is not None:  # their data is that customer's now
        raise web.HTTPSeeOther(f"/customers/{record.merged_into_id}/rights")
    return render(
        "customer_rights.html",
        instant=now(request),
        session=session,
        record=record,
        erasure=await services.customer_rights.erasure_of(asked, customer_id),
        notice=NOTICES.get(request.query.get("notice", "")),
    )


async def export(request: web.Request) -> web.StreamResponse:
    session = await required_session(request)
    await checked_form(request, session)
    return await send_customer_export(request, requested_in_session(session), _customer_id(request))


async def erase(request: web.Request) -> web.StreamResponse:
    session = await required_session(request)
    form = await checked_form(request, session)
    asked = requested_in_session(session)
    customer_id = _customer_id(request)
    if str(form.get("confirm", "")).strip() != str(customer_id):
        raise BadRequestError("confirm", f"type the customer's number, {customer_id}, to erase")
    await services_of(request).customer_rights.erase(
        asked, customer_id, reason=str(form.get("reason", ""))
    )
    raise web.HTTPSeeOther(with_notice(f"/customers/{customer_id}/rights", "erased"))


def add_customer_rights_pages(app: web.Application) -> None:
    app.router.add_get("/customers/{customer_id}/rights", rights_page)
    app.router.add_post("/customers/{customer_id}/export", export)
    app.router.add_post("/customers/{customer_id}/erase", erase)
