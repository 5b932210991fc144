"""What every operation of the OpenAPI document is made of: its roles, its answers, its
parameters."""

from __future__ import annotations

from typing import Any

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


def api_operation(
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
            str(ok): json_answer("done", JSON_OBJECT),
            "400": json_answer("bad input, named", ERROR),
            "401": json_answer("no or unknown token", ERROR),
            "403": json_answer("role not allowed", ERROR),
            "404": json_answer("not found", ERROR),
        },
    }
    if body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": body}},
        }
    return operation


def json_answer(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def in_query(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema}


STAFF = ("agent", "lead", "ops", "admin")
EDITORS = ("agent", "lead", "admin")
MONITORS = ("lead", "ops", "admin")
LEADS = ("lead", "admin")
ADMINS = ("admin",)
