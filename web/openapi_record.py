"""The customer record's part of the OpenAPI document: the audit trail, a thread with its
messages, the exports and the customers."""

from __future__ import annotations

from typing import Any

from web.openapi_parts import (
    CUSTOMER_ID,
    EDITORS,
    JSON_OBJECT,
    LEADS,
    STAFF,
    THREAD_ID,
    api_operation,
    in_query,
    json_answer,
)

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


def audit_operation() -> dict[str, Any]:
    operation = api_operation(
        "The workspace's audit trail: who changed what, newest first",
        ("admin",),
        parameters=[
            in_query("person", {"type": "integer", "description": "changes by this agent"}),
            in_query("action", {"type": "string", "description": "e.g. roles_changed"}),
            in_query("since", {"type": "string", "format": "date", "description": "UTC day"}),
            in_query("until", {"type": "string", "format": "date", "description": "included"}),
            in_query("limit", {"type": "integer", "minimum": 1, "maximum": 200}),
            in_query("before", {"type": "integer", "description": "next_before of the last page"}),
        ],
    )
    operation["responses"]["200"] = json_answer(
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


def thread_operation() -> dict[str, Any]:
    operation = api_operation(
        "A thread with a page of its messages, its notes and its assignments",
        STAFF,
        parameters=[
            THREAD_ID,
            in_query("after", {"type": "integer", "description": "next_messages_after"}),
            in_query("limit", {"type": "integer", "minimum": 1, "maximum": 200}),
        ],
    )
    operation["responses"]["200"] = json_answer("the thread", THREAD_DETAIL)
    return operation


EXPORT_FILTERS = [
    in_query("since", {"type": "string", "format": "date", "description": "UTC day, included"}),
    in_query("until", {"type": "string", "format": "date", "description": "UTC day, included"}),
    in_query("team", {"type": "integer", "description": "a team's id"}),
    in_query("network", {"type": "string"}),
]


def export_operation(summary: str) -> dict[str, Any]:
    operation = api_operation(summary, LEADS, parameters=EXPORT_FILTERS)
    operation["responses"]["200"] = {
        "description": "a CSV file with a header line, streamed; cells a spreadsheet would "
        "run as a formula start with a quote",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
    return operation


CUSTOMER_PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/customers": {
        "get": api_operation(
            "Customers by handle, name or CRM id, by id (next_after pages on)",
            STAFF,
            parameters=[
                in_query("q", {"type": "string", "maxLength": 200}),
                in_query("after", {"type": "integer", "minimum": 0}),
                in_query("limit", {"type": "integer", "minimum": 1, "maximum": 100}),
            ],
        )
    },
    "/api/v1/customers/{customer_id}": {
        "get": api_operation(
            "A customer's record, every thread of every identity, merges and splits",
            STAFF,
            parameters=[CUSTOMER_ID],
        ),
        "patch": api_operation(
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
        "post": api_operation(
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
        "post": api_operation(
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
        "post": api_operation(
            "Undo a merge: identities, threads, notes and the record as they were",
            EDITORS,
            parameters=[
                {"name": "change_id", "in": "path", "required": True, "schema": {"type": "integer"}}
            ],
        )
    },
}
