"""Customers: search, the record, its edits, merge, split and the undoing of a merge.

Reading is for all staff; changing a record is for agents, leads and admins (ops read).
A customer of another workspace is never found: 404 by id, nothing by search."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from inbox.domain.customer_record import CustomerChange, CustomerRecord, CustomerThread
from inbox.usecases.audit import token_actor
from inbox.usecases.customers import RecordEdit
from web.api.bodies import CustomerPatch, MergeBody, SplitBody
from web.api.roles import EDITORS, STAFF
from web.caller import caller_of
from web.keys import services_of
from web.params import int_param, path_id
from web.validation import read_body


def record_json(record: CustomerRecord) -> dict[str, Any]:
    fields = record.fields
    return {
        "id": record.id,
        "display_name": record.display_name,
        "vip": fields.vip,
        "owner": None
        if fields.owner_agent_id is None
        else {"id": fields.owner_agent_id, "name": record.owner_name, "email": record.owner_email},
        "crm_id": fields.crm_id,
        "tags": list(fields.tags),
        "language": fields.language,
        "merged_into_id": record.merged_into_id,
        "created_at": record.created_at.isoformat(),
        "identities": [
            {
                "id": i.id,
                "network": i.network,
                "external_user_id": i.external_user_id,
                "handle": i.handle,
                "display_name": i.display_name,
            }
            for i in record.identities
        ],
    }


def _thread_json(thread: CustomerThread) -> dict[str, Any]:
    return {
        "id": thread.id,
        "network": thread.network,
        "status": thread.status,
        "excerpt": thread.excerpt,
        "handle": thread.handle,
        "opened_at": thread.opened_at.isoformat(),
    }


def _change_json(change: CustomerChange) -> dict[str, Any]:
    return {
        "id": change.id,
        "kind": change.kind,
        "customer_id": change.customer_id,
        "other_customer_id": change.other_customer_id,
        "identity_ids": list(change.identity_ids),
        "thread_ids": list(change.thread_ids),
        "evidence": change.evidence,
        "by": change.done_by,
        "reason": change.reason,
        "at": change.created_at.isoformat(),
        "undone_at": change.undone_at.isoformat() if change.undone_at else None,
    }


async def search_customers(request: web.Request) -> web.Response:
    """GET /api/v1/customers?q=words&after=ID&limit=N, by id; `next_after` pages on."""
    caller = await caller_of(request)
    caller.require(*STAFF)
    limit = int_param(request, "limit", 50)
    assert limit is not None
    found = await services_of(request).customers.search(
        caller.workspace_id,
        request.query.get("q", ""),
        after_id=int_param(request, "after", 0) or 0,
        limit=limit,
    )
    next_after = found[-1].id if len(found) == limit else None
    return web.json_response({"items": [record_json(r) for r in found], "next_after": next_after})


async def get_customer(request: web.Request) -> web.Response:
    """The record, every thread of every identity (newest first) and its merges and splits."""
    caller = await caller_of(request)
    caller.require(*STAFF)
    customer_id = path_id(request, "customer_id")
    customers = services_of(request).customers
    record = await customers.show(caller.workspace_id, customer_id)
    threads = await customers.threads(caller.workspace_id, customer_id)
    changes = await customers.changes(caller.workspace_id, customer_id)
    return web.json_response(
        {
            **record_json(record),
            "threads": [_thread_json(t) for t in threads],
            "changes": [_change_json(c) for c in changes],
        }
    )


async def patch_customer(request: web.Request) -> web.Response:
    caller = await caller_of(request)
    caller.require(*EDITORS)
    customer_id = path_id(request, "customer_id")
    body = await read_body(request, CustomerPatch)
    given = body.model_fields_set
    edit = RecordEdit(
        vip=body.vip,
        owner_email=(body.owner or "") if "owner" in given else None,
        crm_id=(body.crm_id or "") if "crm_id" in given else None,
        tags=tuple(body.tags) if body.tags is not None else None,
        language=(body.language or "") if "language" in given else None,
    )
    record = await services_of(request).customers.edit(
        caller.workspace_id, customer_id, edit, token_actor(caller, request.remote)
    )
    return web.json_response(record_json(record))


async def merge_customers(request: web.Request) -> web.Response:
    """409 naming the fields when both records differ and `choices` does not say."""
    caller = await caller_of(request)
    caller.require(*EDITORS)
    customer_id = path_id(request, "customer_id")
    body = await read_body(request, MergeBody)
    change_id = await services_of(request).customers.merge(
        caller.workspace_id,
        customer_id,
        body.other_id,
        choices=body.choices,
        by=token_actor(caller, request.remote),
        reason=body.reason,
    )
    return web.json_response({"customer_id": customer_id, "change_id": change_id})


async def split_customer(request: web.Request) -> web.Response:
    caller = await caller_of(request)
    caller.require(*EDITORS)
    customer_id = path_id(request, "customer_id")
    body = await read_body(request, SplitBody)
    new_id = await services_of(request).customers.split(
        caller.workspace_id,
        customer_id,
        body.identity_id,
        by=token_actor(caller, request.remote),
        reason=body.reason,
    )
    return web.json_response({"customer_id": customer_id, "new_customer_id": new_id}, status=201)


async def undo_merge(request: web.Request) -> web.Response:
    caller = await caller_of(request)
    caller.require(*EDITORS)
    change = await services_of(request).customers.undo_merge(
        caller.workspace_id, path_id(request, "change_id"), token_actor(caller, request.remote)
    )
    return web.json_response(_change_json(change))


def add_customer_api(api: web.Application) -> None:
    api.router.add_get("/customers", search_customers)
    api.router.add_get("/customers/{customer_id}", get_customer)
    api.router.add_patch("/customers/{customer_id}", patch_customer)
    api.router.add_post("/customers/{customer_id}/merge", merge_customers)
    api.router.add_post("/customers/{customer_id}/split", split_customer)
    api.router.add_post("/customer-changes/{change_id}/undo", undo_merge)
