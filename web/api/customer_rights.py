"""A customer's access and erasure requests over the API, for admin tokens of the customer's
workspace (another workspace's customer is not found):

POST /api/v1/customers/{customer_id}/export   the zip file of everything held about them
POST /api/v1/customers/{customer_id}/erasure  {"reason": "..."}: the erasure's record

Both are recorded in the audit trail as the rights page's are, naming the token."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import StrictStr

from inbox.domain.customer_rights import Erasure
from inbox.usecases.customer_rights import requested_by_token
from web.caller import caller_of
from web.customer_export import send_customer_export
from web.keys import services_of
from web.params import path_id
from web.validation import RequestBody, read_body


class ErasureBody(RequestBody):
    # Why, as the request names it (a ticket number): checked by the use case.
    reason: StrictStr


def erasure_json(erasure: Erasure) -> dict[str, Any]:
    return {
        "id": erasure.erasure_id,
        "customer_id": erasure.customer_id,
        "pseudonym": erasure.pseudonym,
        "erased_by": erasure.erased_by,
        "erased_at": erasure.erased_at.isoformat(),
        "counts": dict(erasure.counts),
    }


async def export_customer(request: web.Request) -> web.StreamResponse:
    asked = requested_by_token(await caller_of(request), request.remote)
    return await send_customer_export(request, asked, path_id(request, "customer_id"))


async def erase_customer(request: web.Request) -> web.Response:
    asked = requested_by_token(await caller_of(request), request.remote)
    customer_id = path_id(request, "customer_id")
    body = await read_body(request, ErasureBody)
    erasure = await services_of(request).customer_rights.erase(
        asked, customer_id, reason=body.reason
    )
    return web.json_response(erasure_json(erasure), status=201)


def add_customer_rights_api(api: web.Application) -> None:
    api.router.add_post("/customers/{customer_id}/export", export_customer)
    api.router.add_post("/customers/{customer_id}/erasure", erase_customer)
