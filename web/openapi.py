"""The OpenAPI document of the JSON API, served at /api/v1/openapi.json.

Written by hand next to the handlers; a test checks that every route the app registers under
/api/v1 is described here, with the roles that may call it.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

JSON_OBJECT: dict[str, Any] = {"type": "object"}
ERROR = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            "required": ["code", "message"],
        }
    },
}
CUSTOMER_ID = {"name": "customer_id", "in": "path", "required": True, "schema": {"type": "integer"}}
THREAD_ID = {"name": "thread_id", "in": "path", "required": True, "schema": {"type": "integer"}}


def _operation(
    summary: str,
    roles: tuple[str, ...],
    *,
    body: dict[str, Any] | None = None,
    parameters: list[dict[str, Any]] | None = None,
    ok: int = 200,
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary,
        "description": f"Roles: {', '.join(roles)}.",
        # Who may call it: the role matrix test holds the handlers to this.
        "x-roles": list(roles),
        "security": [{"bearer": []}],
        "parameters": parameters or [],
        "responses": {
            str(ok): _answer("done", JSON_OBJECT),
            "400": _answer("bad input, named", ERROR),
            "401": _answer("no or unknown token", ERROR),
            "403": _answer("role not allowed", ERROR),
            "404": _answer("not found", ERROR),
        },
    }
    if body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": body}},
        }
    return operation


def _answer(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _query(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema}


STAFF = ("agent", "lead", "ops", "admin")
EDITORS = ("agent", "lead", "admin")
MONITORS = ("lead", "ops", "admin")
LEADS = ("lead", "admin")

AUDIT_ROW = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "at": {"type": "string", "format": "date-time"},
        "actor": {
            "type": "object",
            "description": "kind: person, token or command_line; id: the agent's or token's",
        },
        "action": {"type": "string"},
        "object": {"type": "object", "description": "kind and id of what was changed"},
        "summary": {"type": "object", "description": "before/after; never secrets or texts"},
        "address": {"type": ["string", "null"]},
    },
}


def _audit_operation() -> dict[str, Any]:
    operation = _operation(
        "The workspace's audit trail: who changed what, newest first",
        ("admin",),
        parameters=[
            _query("person", {"type": "integer", "description": "changes by this agent"}),
            _query("action", {"type": "string", "description": "e.g. roles_changed"}),
            _query("since", {"type": "string", "format": "date", "description": "UTC day"}),
            _query("until", {"type": "string", "format": "date", "description": "included"}),
            _query("limit", {"type": "integer", "minimum": 1, "maximum": 200}),
            _query("before", {"type": "integer", "description": "next_before of the last page"}),
        ],
    )
    operation["responses"]["200"] = _answer(
        "a page of rows, and next_before (null on the last page)",
        {
            "type": "object",
            "properties": {
                "items": {"type": "array", "items": AUDIT_ROW},
                "next_before": {"type": ["integer", "null"]},
            },
        },
    )
    return operation


THREAD_DETAIL = {
    "type": "object",
    "description": "the thread's facts (status, priority, kind, team_id, assignee_id, "
    "customer_id, opened_at, resolved_at, sla_due_at...), never a raw payload",
    "properties": {
        "id": {"type": "integer"},
        "network": {"type": "string"},
        "status": {"type": "string"},
        "messages": {
            "type": "array",
            "description": "oldest first; each with id (its place: the cursor), network, "
            "external_id, direction, author_handle, text, created_at",
            "items": JSON_OBJECT,
        },
        "next_messages_after": {"type": ["integer", "null"]},
        "notes": {"type": "array", "items": JSON_OBJECT},
        "assignments": {
            "type": "array",
            "description": "oldest first: agent_id, team_id, community, source, reasons, at",
            "items": JSON_OBJECT,
        },
    },
}


def _thread_operation() -> dict[str, Any]:
    operation = _operation(
        "A thread with a page of its messages, its notes and its assignments",
        STAFF,
        parameters=[
            THREAD_ID,
            _query("after", {"type": "integer", "description": "next_messages_after"}),
            _query("limit", {"type": "integer", "minimum": 1, "maximum": 200}),
        ],
    )
    operation["responses"]["200"] = _answer("the thread", THREAD_DETAIL)
    return operation


EXPORT_FILTERS = [
    _query("since", {"type": "string", "format": "date", "description": "UTC day, included"}),
    _query("until", {"type": "string", "format": "date", "description": "UTC day, included"}),
    _query("team", {"type": "integer", "description": "a team's id"}),
    _query("network", {"type": "string"}),
]


def _export_operation(summary: str) -> dict[str, Any]:
    operation = _operation(summary, LEADS, parameters=EXPORT_FILTERS)
    operation["responses"]["200"] = {
        "description": "a CSV file with a header line, streamed; cells a spreadsheet would "
        "run as a formula start with a quote",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
    return operation


PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/audit": {"get": _audit_operation()},
    "/api/v1/threads/{thread_id}": {"get": _thread_operation()},
    "/api/v1/threads/{thread_id}/notes": {
        "post": _operation(
            "Add an internal note, as the token's agent (colleagues named with @ are told)",
            STAFF,
            parameters=[THREAD_ID],
            body={
                "type": "object",
                "properties": {"body": {"type": "string", "minLength": 1, "maxLength": 5000}},
                "required": ["body"],
            },
            ok=201,
        )
    },
    "/api/v1/exports/conversations.csv": {
        "get": _export_operation("Conversations opened in a range of days, as CSV")
    },
    "/api/v1/exports/sla-clocks.csv": {
        "get": _export_operation("SLA clocks started in a range of days, as CSV")
    },
    "/api/v1/threads": {
        "get": _operation(
            "Threads of the workspace, newest first",
            STAFF,
            parameters=[
                _query("status", {"type": "string"}),
                _query("limit", {"type": "integer", "minimum": 1}),
                _query("before", {"type": "integer"}),
            ],
        )
    },
    "/api/v1/channels": {
        "get": _operation("Connected accounts: health, lag, reads, budget", MONITORS)
    },
    "/api/v1/reports/sla": {
        "get": _operation(
            "Both SLA clocks per day, network, team or in total",
            LEADS,
            parameters=[
                _query("by", {"type": "string", "enum": ["day", "network", "team", "total"]}),
                _query("from", {"type": "string", "format": "date"}),
                _query("to", {"type": "string", "format": "date"}),
                _query("tz", {"type": "string"}),
            ],
        )
    },
    "/api/v1/threads/{thread_id}/sla": {
        "get": _operation("How each SLA clock was computed", STAFF, parameters=[THREAD_ID])
    },
    "/api/v1/threads/{thread_id}/close": {
        "post": _operation(
            "Close without an answer (clock excluded)",
            STAFF,
            parameters=[THREAD_ID],
            body={
                "type": "object",
                "properties": {
                    "reason": {"type": "string", "enum": ["no_reply_needed", "deleted", "hidden"]}
                },
                "required": ["reason"],
            },
        )
    },
    "/api/v1/threads/{thread_id}/classification": {
        "post": _operation(
            "Correct the classification in one action",
            EDITORS,
            parameters=[THREAD_ID],
            body={
                "type": "object",
                "properties": {
                    "field": {"type": "string", "enum": ["kind", "language", "urgency", "topics"]},
                    "value": {},
                },
                "required": ["field", "value"],
            },
        )
    },
    "/api/v1/queue/claim": {
        "post": _operation(
            "Claim the next threads of my queue",
            EDITORS,
            body={
                "type": "object",
                "properties": {"count": {"type": "integer", "minimum": 1, "maximum": 50}},
            },
        )
    },
    "/api/v1/routing": {
        "get": _operation("Routing settings, lexicon, rules and rule counts", LEADS),
        "put": _operation(
            "Replace the routing settings, lexicon and rules",
            ("admin",),
            body={
                "type": "object",
                "properties": {
                    "settings": JSON_OBJECT,
                    "lexicon": JSON_OBJECT,
                    "rules": JSON_OBJECT,
                },
            },
        ),
    },
    "/api/v1/threads/{thread_id}/replying": {
        "post": _operation("I am replying: who else is", EDITORS, parameters=[THREAD_ID])
    },
    "/api/v1/threads/{thread_id}/replies": {
        "post": _operation(
            "Queue a reply (409 while a colleague replies or its checks warn, unless overridden)",
            EDITORS,
            parameters=[THREAD_ID],
            ok=202,
            body={
                "type": "object",
                "properties": {
                    "body": {"type": "string", "maxLength": 5000},
                    "key": {"type": "string", "minLength": 1, "maxLength": 100},
                    "override": {"type": "boolean"},
                },
                "required": ["body", "key"],
            },
        )
    },
    "/api/v1/threads/{thread_id}/community-answers": {
        "post": _operation(
            "A community member's answer, held for approval",
            ("community",),
            parameters=[THREAD_ID],
            ok=201,
            body={"type": "object", "properties": {"body": {"type": "string"}}},
        )
    },
    "/api/v1/community-answers": {"get": _operation("Community answers awaiting review", EDITORS)},
    "/api/v1/community-answers/{answer_id}/review": {
        "post": _operation(
            "Approve, edit or reject a community answer",
            EDITORS,
            parameters=[
                {"name": "answer_id", "in": "path", "required": True, "schema": {"type": "integer"}}
            ],
            body={
                "type": "object",
                "properties": {
                    "decision": {"type": "string", "enum": ["approve", "edit", "reject"]},
                    "body": {"type": "string"},
                    "note": {"type": "string"},
                },
                "required": ["decision"],
            },
        )
    },
    "/api/v1/canned-responses": {
        "get": _operation("The workspace's canned responses", EDITORS),
        "put": _operation(
            "Replace the canned responses ({customer}, {agent}, {thread} placeholders)",
            LEADS,
            body={
                "type": "object",
                "properties": {
                    "items": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "name": {"type": "string"},
                                "body": {"type": "string"},
                                "language": {"type": "string"},
                            },
                            "required": ["name", "body"],
                        },
                    }
                },
                "required": ["items"],
            },
        ),
    },
    "/api/v1/community/me": {
        "get": _operation("My contributions as a community member", ("community",))
    },
    "/api/v1/admin/workspace-preferences": {
        "get": _operation("The workspace's preferences: CRM link template, comparisons", LEADS),
        "put": _operation(
            "Replace the workspace's preferences (https URL holding {crm_id}; comparisons)",
            ("admin",),
            body={
                "type": "object",
                "properties": {
                    "crm_url_template": {"type": ["string", "null"], "maxLength": 500},
                    "agent_comparisons": {"type": "boolean"},
                },
            },
        ),
    },
    "/api/v1/customers": {
        "get": _operation(
            "Customers by handle, name or CRM id, by id (next_after pages on)",
            STAFF,
            parameters=[
                _query("q", {"type": "string", "maxLength": 200}),
                _query("after", {"type": "integer", "minimum": 0}),
                _query("limit", {"type": "integer", "minimum": 1, "maximum": 100}),
            ],
        )
    },
    "/api/v1/customers/{customer_id}": {
        "get": _operation(
            "A customer's record, every thread of every identity, merges and splits",
            STAFF,
            parameters=[CUSTOMER_ID],
        ),
        "patch": _operation(
            "Edit the record (absent fields stay; null clears owner, crm_id, language)",
            EDITORS,
            parameters=[CUSTOMER_ID],
            body={
                "type": "object",
                "properties": {
                    "vip": {"type": "boolean"},
                    "owner": {"type": ["string", "null"], "description": "a colleague's e-mail"},
                    "crm_id": {"type": ["string", "null"], "maxLength": 100},
                    "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 20},
                    "language": {"type": ["string", "null"], "pattern": "^[a-z]{2,3}$"},
                },
            },
        ),
    },
    "/api/v1/customers/{customer_id}/merge": {
        "post": _operation(
            "Fold another customer into this one (409 names the fields to choose)",
            EDITORS,
            parameters=[CUSTOMER_ID],
            body={
                "type": "object",
                "properties": {
                    "other_id": {"type": "integer"},
                    "reason": {"type": "string", "maxLength": 500},
                    "choices": {
                        "type": "object",
                        "propertyNames": {"enum": ["vip", "owner", "crm_id", "language"]},
                        "additionalProperties": {"type": "string", "enum": ["kept", "other"]},
                    },
                },
                "required": ["other_id", "reason"],
            },
        )
    },
    "/api/v1/customers/{customer_id}/split": {
        "post": _operation(
            "Move an identity and the threads it opened out to a new customer",
            EDITORS,
            parameters=[CUSTOMER_ID],
            ok=201,
            body={
                "type": "object",
                "properties": {
                    "identity_id": {"type": "integer"},
                    "reason": {"type": "string", "maxLength": 500},
                },
                "required": ["identity_id", "reason"],
            },
        )
    },
    "/api/v1/customer-changes/{change_id}/undo": {
        "post": _operation(
            "Undo a merge: identities, threads, notes and the record as they were",
            EDITORS,
            parameters=[
                {"name": "change_id", "in": "path", "required": True, "schema": {"type": "integer"}}
            ],
        )
    },
}


# Public routes that prove each call by its signature, not by a token: outside PATHS, which
# the role matrix walks with tokens.
_SOURCE = [
    {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
    for name in ("workspace", "source")
]
_SIGNED = ("signature",)
SIGNATURE_SCHEMES = {
    "metaSignature": {"type": "apiKey", "in": "header", "name": "X-Hub-Signature-256"},
    "inboxSignature": {"type": "apiKey", "in": "header", "name": "X-Inbox-Signature"},
}
SIGNED_PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/inbound/{workspace}/{source}": {
        "post": {
            "summary": "A webhook delivery: Meta notification or generic messages (signed)",
            "description": "Roles: signature (X-Hub-Signature-256 for Meta sources, "
            "X-Inbox-Signature for generic ones). 401 and nothing stored when it is wrong; "
            "200 with malformed parts quarantined when it is right.",
            "x-roles": list(_SIGNED),
            "security": [{"metaSignature": []}, {"inboxSignature": []}],
            "parameters": _SOURCE,
            "requestBody": {"required": True, "content": {"application/json": {"schema": {}}}},
            "responses": {
                "200": _answer("added, duplicates, quarantined, ignored", JSON_OBJECT),
                "401": _answer("missing, wrong or stale signature", ERROR),
                "404": _answer("no such source", ERROR),
                "413": _answer("body over 1 MiB", ERROR),
            },
        },
        "get": {
            "summary": "Meta's subscription handshake: echoes hub.challenge",
            "description": "Roles: signature (the source's verify token, hub.verify_token).",
            "x-roles": list(_SIGNED),
            "security": [],
            "parameters": [
                *_SOURCE,
                _query("hub.mode", {"type": "string", "enum": ["subscribe"]}),
                _query("hub.verify_token", {"type": "string"}),
                _query("hub.challenge", {"type": "string"}),
            ],
            "responses": {
                "200": {
                    "description": "the challenge",
                    "content": {"text/plain": {"schema": {"type": "string"}}},
                },
                "403": _answer("wrong verify token", ERROR),
                "404": _answer("no such Meta source", ERROR),
            },
        },
    }
}


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Social inbox API", "version": "1"},
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                **SIGNATURE_SCHEMES,
            }
        },
        "paths": {**PATHS, **SIGNED_PATHS},
    }


async def openapi_document(request: web.Request) -> web.Response:
    """The API's OpenAPI document; public, like the API's shape itself."""
    return web.json_response(document())


def add_openapi(api: web.Application) -> None:
    api.router.add_get("/openapi.json", openapi_document)
