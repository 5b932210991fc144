"""The customer's rights and retention in the OpenAPI document: the access export, the
erasure, and the workspace's retention periods and pass. Admin tokens only."""

from __future__ import annotations

from typing import Any

from inbox.domain.retention import FIELDS, LONGEST_DAYS, LONGEST_MONTHS
from web.openapi_parts import ADMINS, CUSTOMER_ID, ERROR, api_operation, json_answer

# A period: a whole number of days (or months), or null to keep for ever.
_LONGEST = {"closed_thread_text_months": LONGEST_MONTHS}
PERIODS = {
    name: {"type": ["integer", "null"], "minimum": 1, "maximum": _LONGEST.get(name, LONGEST_DAYS)}
    for name in FIELDS
}
REMOVED = {
    "type": "object",
    "properties": {
        name: {"type": "integer"}
        for name in ("raw_payloads", "closed_threads", "closed_messages", "quarantined")
    },
}
RETENTION = {
    "type": "object",
    "properties": {
        "settings": {"type": "object", "properties": PERIODS},
        "last_run": {
            "type": ["object", "null"],
            "description": "the last pass: started_at, finished_at, run_by, removed",
        },
    },
}
ERASURE = {
    "type": "object",
    "description": "the erasure's record: no name, handle or text, only what each table lost",
    "properties": {
        "id": {"type": "integer"},
        "customer_id": {"type": "integer"},
        "pseudonym": {"type": "string"},
        "erased_by": {"type": "string", "description": "token:ID, agent:ID or cli"},
        "erased_at": {"type": "string", "format": "date-time"},
        "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
    },
}


def _export_operation() -> dict[str, Any]:
    operation = api_operation(
        "Everything held about the customer (and those merged into them), as a zip file",
        ADMINS,
        parameters=[CUSTOMER_ID],
    )
    operation["responses"]["200"] = {
        "description": "customer-ID.zip: customer-ID.json (every section) and customer-ID.html "
        "(the same, readable)",
        "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
    }
    operation["responses"]["409"] = json_answer("merged into another customer", ERROR)
    return operation


def _erasure_operation() -> dict[str, Any]:
    operation = api_operation(
        "Erase the customer: texts, names and notes gone; counts and timings kept",
        ADMINS,
        parameters=[CUSTOMER_ID],
        body={
            "type": "object",
            "properties": {"reason": {"type": "string", "minLength": 1, "maxLength": 500}},
            "required": ["reason"],
        },
        ok=201,
    )
    operation["responses"]["201"] = json_answer("the erasure's record", ERASURE)
    operation["responses"]["409"] = json_answer("already erased, or merged into another", ERROR)
    return operation


def _retention_operation(summary: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    operation = api_operation(summary, ADMINS, body=body)
    operation["responses"]["200"] = json_answer("the periods and the last pass", RETENTION)
    return operation


def _run_operation() -> dict[str, Any]:
    operation = api_operation(
        "Run the retention pass now (dry_run: only count what it would remove)",
        ADMINS,
        body={"type": "object", "properties": {"dry_run": {"type": "boolean", "default": False}}},
    )
    operation["responses"]["200"] = json_answer(
        "what was removed",
        {"type": "object", "properties": {"dry_run": {"type": "boolean"}, "removed": REMOVED}},
    )
    return operation


RIGHTS_PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/customers/{customer_id}/export": {"post": _export_operation()},
    "/api/v1/customers/{customer_id}/erasure": {"post": _erasure_operation()},
    "/api/v1/retention": {
        "get": _retention_operation("The workspace's retention periods and its last pass"),
        "put": _retention_operation(
            "Change the periods (absent fields stay; null keeps for ever)",
            {"type": "object", "properties": PERIODS, "additionalProperties": False},
        ),
    },
    "/api/v1/retention/run": {"post": _run_operation()},
}
