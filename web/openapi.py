"""The OpenAPI document of the JSON API, served at /api/v1/openapi.json.

Written by hand next to the handlers; a test checks that every route the app registers under
/api/v1 is described here, with the roles that may call it.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from web.openapi_parts import (
    EDITORS,
    ERROR,
    JSON_OBJECT,
    LEADS,
    MONITORS,
    STAFF,
    THREAD_ID,
    api_operation,
    in_query,
    json_answer,
)
from web.openapi_record import CUSTOMER_PATHS, audit_operation, export_operation, thread_operation
from web.openapi_rights import RIGHTS_PATHS

PATHS: dict[str, dict[str, Any]] = {
    **CUSTOMER_PATHS,
    **RIGHTS_PATHS,
    "/api/v1/audit": {"get": audit_operation()},
    "/api/v1/threads/{thread_id}": {"get": thread_operation()},
    "/api/v1/threads/{thread_id}/notes": {
        "post": api_operation(
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
        "get": export_operation("Conversations opened in a range of days, as CSV")
    },
    "/api/v1/exports/sla-clocks.csv": {
        "get": export_operation("SLA clocks started in a range of days, as CSV")
    },
    "/api/v1/threads": {
        "get": api_operation(
            "Threads of the workspace, newest first",
            STAFF,
            parameters=[
                in_query("status", {"type": "string"}),
                in_query("limit", {"type": "integer", "minimum": 1}),
                in_query("before", {"type": "integer"}),
            ],
        )
    },
    "/api/v1/channels": {
        "get": api_operation("Connected accounts: health, lag, reads, budget", MONITORS)
    },
    "/api/v1/reports/sla": {
        "get": api_operation(
            "Both SLA clocks per day, network, team or in total",
            LEADS,
            parameters=[
                in_query("by", {"type": "string", "enum": ["day", "network", "team", "total"]}),
                in_query("from", {"type": "string", "format": "date"}),
                in_query("to", {"type": "string", "format": "date"}),
                in_query("tz", {"type": "string"}),
            ],
        )
    },
    "/api/v1/threads/{thread_id}/sla": {
        "get": api_operation("How each SLA clock was computed", STAFF, parameters=[THREAD_ID])
    },
    "/api/v1/threads/{thread_id}/close": {
        "post": api_operation(
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
        "post": api_operation(
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
        "post": api_operation(
            "Claim the next threads of my queue",
            EDITORS,
            body={
                "type": "object",
                "properties": {"count": {"type": "integer", "minimum": 1, "maximum": 50}},
            },
        )
    },
    "/api/v1/routing": {
        "get": api_operation("Routing settings, lexicon, rules and rule counts", LEADS),
        "put": api_operation(
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
        "post": api_operation("I am replying: who else is", EDITORS, parameters=[THREAD_ID])
    },
    "/api/v1/threads/{thread_id}/replies": {
        "post": api_operation(
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
        "post": api_operation(
            "A community member's answer, held for approval",
            ("community",),
            parameters=[THREAD_ID],
            ok=201,
            body={"type": "object", "properties": {"body": {"type": "string"}}},
        )
    },
    "/api/v1/community-answers": {
        "get": api_operation("Community answers awaiting review", EDITORS)
    },
    "/api/v1/community-answers/{answer_id}/review": {
        "post": api_operation(
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
        "get": api_operation("The workspace's canned responses", EDITORS),
        "put": api_operation(
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
        "get": api_operation("My contributions as a community member", ("community",))
    },
    "/api/v1/admin/workspace-preferences": {
        "get": api_operation("The workspace's preferences: CRM link template, comparisons", LEADS),
        "put": api_operation(
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
                "200": json_answer("added, duplicates, quarantined, ignored", JSON_OBJECT),
                "401": json_answer("missing, wrong or stale signature", ERROR),
                "404": json_answer("no such source", ERROR),
                "413": json_answer("body over 1 MiB", ERROR),
            },
        },
        "get": {
            "summary": "Meta's subscription handshake: echoes hub.challenge",
            "description": "Roles: signature (the source's verify token, hub.verify_token).",
            "x-roles": list(_SIGNED),
            "security": [],
            "parameters": [
                *_SOURCE,
                in_query("hub.mode", {"type": "string", "enum": ["subscribe"]}),
                in_query("hub.verify_token", {"type": "string"}),
                in_query("hub.challenge", {"type": "string"}),
            ],
            "responses": {
                "200": {
                    "description": "the challenge",
                    "content": {"text/plain": {"schema": {"type": "string"}}},
                },
                "403": json_answer("wrong verify token", ERROR),
                "404": json_answer("no such Meta source", ERROR),
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
