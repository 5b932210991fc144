"""The aiohttp application: health, the JSON API, one error middleware.

Handlers only parse, call a use case and serialise; the use cases come from the composition
root through `SERVICES`.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import UTC, date, datetime, time, timedelta

from aiohttp import web

from inbox.domain.documents import read_json
from inbox.domain.errors import (
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    DatabaseUnavailableError,
    InboxError,
    NotFoundError,
    PermissionDeniedError,
)
from inbox.domain.people import Role
from inbox.domain.thread import ThreadStatus
from inbox.usecases.inbound_webhooks import ReceiveWebhooks
from inbox.usecases.replies import ReplyCollisionError
from inbox.usecases.services import Services
from inbox.usecases.sla_reports import ReportRequestError
from inbox.usecases.tokens import Caller
from web import metrics, openapi
from web.admin import add_admin_pages
from web.admin.api import add_admin_api
from web.inbound_webhooks import add_inbound_webhooks
from web.incidents import add_incident_pages
from web.keys import SERVICES, Handler
from web.live import add_live_events
from web.login import add_login_pages
from web.pages import add_pages
from web.rendering import STATIC, TEMPLATES, html_response
from web.thread_pages import add_thread_pages

log = logging.getLogger(__name__)

STAFF = (Role.AGENT, Role.LEAD, Role.OPS, Role.ADMIN)


class BadRequestError(InboxError):
    def __init__(self, parameter: str, reason: str) -> None:
        super().__init__(f"{parameter}: {reason}")
        self.parameter = parameter


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


# How long a client is asked to wait before trying again while the database is away: the
# pool opens connections again within a second or two of the server accepting them.
RETRY_AFTER_SECONDS = 5
UNAVAILABLE_PAGE = TEMPLATES.from_string(
    """{% extends "base.html" %}
{% block title %}Database unavailable · Inbox{% endblock %}
{% block main %}
<h1>The database is unavailable</h1>
<p role="alert">The inbox cannot reach its database just now. Nothing already saved is lost,
and the inbox reconnects by itself.</p>
{% if again %}<p><a href="">Try again</a> in a moment.</p>
{% else %}<p>Go back and send it again in a moment.</p>{% endif %}
{% endblock %}"""
)


def _unavailable(request: web.Request) -> web.Response:
    """A person's browser gets a page saying so; the API and its clients, JSON."""
    if _wants_a_page(request):
        # An empty link is this very address: a page read again, never a form sent again.
        again = request.method in ("GET", "HEAD")
        response = html_response(UNAVAILABLE_PAGE.render(session=None, again=again), 503)
    else:
        response = _error(503, "unavailable", "the database is unavailable")
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _wants_a_page(request: web.Request) -> bool:
    """Pages and their forms, as a browser asks for them; never /api/, whatever it accepts."""
    return not request.path.startswith("/api/") and "text/html" in request.headers.get("Accept", "")


@web.middleware
async def errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except BadRequestError as exc:
        return _error(400, "bad_request", str(exc))
    except AuthenticationError as exc:
        response = _error(401, "unauthenticated", str(exc))
        response.headers["WWW-Authenticate"] = 'Bearer realm="inbox"'
        return response
    except PermissionDeniedError as exc:
        return _error(403, "forbidden", str(exc))
    except NotFoundError as exc:
        return _error(404, "not_found", str(exc))
    except ConflictError as exc:
        return _error(409, "conflict", str(exc))
    except ConfigurationError as exc:
        return _error(400, "invalid", str(exc))
    except DatabaseUnavailableError as exc:
        # Every request meets it while the server is away: one line each, no traceback.
        log.warning(
            "database unavailable",
            extra={"action": "http_unavailable", "path": request.path,
                   "error": type(exc.__cause__ or exc).__name__},
        )  # fmt: skip
        return _unavailable(request)


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Cache-Control", "no-store")
    return response


async def caller_of(request: web.Request) -> Caller:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("send an API token as 'Authorization: Bearer <token>'")
    return await request.app[SERVICES].tokens.authenticate(token.strip())


async def healthz(request: web.Request) -> web.Response:
    """Each part of this process, "ok" or "down" with a short detail; 503 while any is down.
    No login: the details say states and error classes, nothing else."""
    report = await request.app[SERVICES].health()
    parts = {
        name: {"status": "ok" if part.ok else "down", "detail": part.detail}
        for name, part in report.parts.items()
    }
    if not report.ok:
        return web.json_response({"status": "unavailable", "parts": parts}, status=503)
    return web.json_response({"status": "ok", "parts": parts})


def _statuses(raw: str | None) -> list[ThreadStatus]:
    if not raw:
        return list(ThreadStatus)
    try:
        return [ThreadStatus(part.strip()) for part in raw.split(",") if part.strip()]
    except ValueError as exc:
        allowed = ", ".join(s.value for s in ThreadStatus)
        raise BadRequestError("status", f"expected a comma-separated list of {allowed}") from exc


# Ids are PostgreSQL bigints: anything outside names nothing and must not reach the driver.
LARGEST_ID = 2**63 - 1


def _int_param(request: web.Request, name: str, default: int | None) -> int | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise BadRequestError(name, f"expected an integer, got {raw[:40]!r}") from exc
    if not -LARGEST_ID <= value <= LARGEST_ID:
        raise BadRequestError(name, "out of range")
    return value


def _path_id(request: web.Request, name: str) -> int:
    """A positive id from the path, or a 400 naming it."""
    raw = request.match_info[name]
    try:
        value = int(raw)
    except ValueError as exc:
        raise BadRequestError(name, f"expected an integer, got {raw[:40]!r}") from exc
    if not 1 <= value <= LARGEST_ID:
        raise BadRequestError(name, f"an id between 1 and {LARGEST_ID}")
    return value


async def list_threads(request: web.Request) -> web.Response:
    caller = await caller_of(request)
    caller.require(*STAFF)
    limit = _int_param(request, "limit", 50)
    assert limit is not None
    threads = await request.app[SERVICES].list_threads(
        caller.workspace_id,
        statuses=_statuses(request.query.get("status")),
        limit=limit,
        before_id=_int_param(request, "before", None),
    )
    items = [t.model_dump(mode="json") for t in threads]
    next_before = threads[-1].id if len(threads) == limit and threads else None
    return web.json_response({"items": items, "next_before": next_before})


MONITORS = (Role.LEAD, Role.OPS, Role.ADMIN)


async def list_channels(request: web.Request) -> web.Response:
    """Connected accounts: health, lag, reads and budget. Credentials are never part of it."""
    caller = await caller_of(request)
    caller.require(*MONITORS)
    channels = await request.app[SERVICES].list_channels(caller.workspace_id)
    return web.json_response({"items": [c.model_dump(mode="json") for c in channels]})


async def prometheus_metrics(request: web.Request) -> web.Response:
    caller = await caller_of(request)
    caller.require(Role.OPS, Role.ADMIN)
    services = request.app[SERVICES]
    channels = await services.list_channels(caller.workspace_id)
    sla = await services.sla_now(caller.workspace_id)
    incidents = metrics.incident_lines(
        await services.incidents.open_count(caller.workspace_id),
        services.incidents.latest_scores(caller.workspace_id),
    )
    return web.Response(
        text=metrics.render(channels, sla, incidents),
        content_type="text/plain",
        charset="utf-8",
        headers={"X-Prometheus-Format": "0.0.4"},
    )


def _day(request: web.Request, name: str, default: date) -> datetime:
    raw = request.query.get(name)
    try:
        day = date.fromisoformat(raw) if raw else default
    except ValueError as exc:
        raise BadRequestError(
            name, f"expected a date YYYY-MM-DD, got {(raw or '')[:40]!r}"
        ) from exc
    return datetime.combine(day, time(), tzinfo=UTC)


async def sla_report(request: web.Request) -> web.Response:
    """Both clocks per day, network or team: GET /api/v1/reports/sla?by=day&from=&to=&tz="""
    caller = await caller_of(request)
    caller.require(Role.LEAD, Role.ADMIN)
    today = datetime.now(UTC).date()
    since = _day(request, "from", today - timedelta(days=30))
    until = _day(request, "to", today + timedelta(days=1))
    by = request.query.get("by", "day")
    if by == "agent":
        preferences = await request.app[SERVICES].workspace_preferences.load(caller.workspace_id)
        if not preferences.agent_comparisons:
            raise PermissionDeniedError(
                "per-person comparisons are off in this workspace; an admin may turn them on"
            )
    try:
        rows = await request.app[SERVICES].sla_report(
            caller.workspace_id,
            by=by,
            since=since,
            until=until,
            time_zone=request.query.get("tz", "UTC"),
        )
    except ReportRequestError as exc:
        raise BadRequestError(exc.parameter, str(exc)) from exc
    return web.json_response({"items": [asdict(row) for row in rows]})


async def explain_thread_sla(request: web.Request) -> web.Response:
    """How each SLA clock of a thread was computed: GET /api/v1/threads/{id}/sla"""
    caller = await caller_of(request)
    caller.require(*STAFF)
    thread_id = _path_id(request, "thread_id")
    clocks = await request.app[SERVICES].explain_sla(caller.workspace_id, thread_id)
    return web.json_response({"thread_id": thread_id, "clocks": clocks})


async def close_thread(request: web.Request) -> web.Response:
    """Close without an answer: POST /api/v1/threads/{id}/close {"reason": "no_reply_needed"}"""
    caller = await caller_of(request)
    caller.require(*STAFF)
    thread_id = _path_id(request, "thread_id")
    body = await _json_object(request)
    reason = body.get("reason")
    if not isinstance(reason, str):
        raise BadRequestError("reason", "no_reply_needed, deleted or hidden")
    try:
        await request.app[SERVICES].close_without_reply(
            caller.workspace_id, thread_id, reason, f"token:{caller.token_id}"
        )
    except ConfigurationError as exc:
        raise BadRequestError("reason", str(exc)) from exc
    return web.json_response({"thread_id": thread_id, "status": "resolved", "reason": reason})


def _thread_id(request: web.Request) -> int:
    return _path_id(request, "thread_id")


async def _json_object(request: web.Request) -> dict[str, object]:
    """The request's JSON object; 400 naming the problem for anything else (malformed, too
    deeply nested, NaN or Infinity, not an object)."""
    try:
        body = read_json(await request.read(), "body")
    except ConfigurationError as exc:
        raise BadRequestError(exc.setting, exc.reason) from exc
    if not isinstance(body, dict):
        raise BadRequestError("body", "expected a JSON object")
    return body


EDITORS = (Role.AGENT, Role.LEAD, Role.ADMIN)


async def correct_classification(request: web.Request) -> web.Response:
    """One-action correction: POST /api/v1/threads/{id}/classification
    {"field": "kind" | "language" | "urgency" | "topics", "value": ...}"""
    caller = await caller_of(request)
    caller.require(*EDITORS)
    thread_id = _thread_id(request)
    body = await _json_object(request)
    field = body.get("field")
    if not isinstance(field, str):
        raise BadRequestError("field", "kind, language, urgency or topics")
    try:
        old = await request.app[SERVICES].correct_classification(
            caller.workspace_id, thread_id, field, body.get("value"), f"token:{caller.token_id}"
        )
    except ConfigurationError as exc:
        raise BadRequestError(exc.setting, exc.reason) from exc
    return web.json_response(
        {"thread_id": thread_id, "field": field, "old": old, "new": body.get("value")}
    )


async def claim_threads(request: web.Request) -> web.Response:
    """The next threads of my queue: POST /api/v1/queue/claim {"count": 1}"""
    caller = await caller_of(request)
    caller.require(*EDITORS)
    agent_id = caller.require_agent()
    body = await _json_object(request)
    count = body.get("count", 1)
    if not isinstance(count, int) or isinstance(count, bool):
        raise BadRequestError("count", "expected an integer")
    try:
        claimed = await request.app[SERVICES].claim_next(caller.workspace_id, agent_id, count)
    except ConfigurationError as exc:
        raise BadRequestError(exc.setting, exc.reason) from exc
    return web.json_response(
        {
            "items": [
                {
                    "thread_id": c.thread_id,
                    "priority": c.priority,
                    "sla_due_at": c.sla_due_at.isoformat() if c.sla_due_at else None,
                }
                for c in claimed
            ]
        }
    )


async def get_routing(request: web.Request) -> web.Response:
    """The routing settings, lexicon additions, rules and how often each rule fired."""
    caller = await caller_of(request)
    caller.require(Role.LEAD, Role.ADMIN)
    service = request.app[SERVICES].routing_settings
    config = await service.current(caller.workspace_id)
    counts = await service.rule_counts(caller.workspace_id)
    return web.json_response(
        {
            "version": config.version,
            "settings": config.settings,
            "lexicon": config.lexicon,
            "rules": config.rules,
            "rule_counts": counts,
        }
    )


async def put_routing(request: web.Request) -> web.Response:
    """Replace them: PUT /api/v1/routing {"settings": {}, "lexicon": {}, "rules": {"rules": []}}"""
    caller = await caller_of(request)
    caller.require(Role.ADMIN)
    body = await _json_object(request)
    parts: dict[str, dict[str, object]] = {}
    defaults: tuple[tuple[str, dict[str, object]], ...] = (
        ("settings", {}),
        ("lexicon", {}),
        ("rules", {"rules": []}),
    )
    for name, default in defaults:
        value = body.get(name, default)
        if not isinstance(value, dict):
            raise BadRequestError(name, "expected a JSON object")
        parts[name] = value
    try:
        version = await request.app[SERVICES].routing_settings.save(
            caller.workspace_id, parts["settings"], parts["lexicon"], parts["rules"]
        )
    except ConfigurationError as exc:
        raise BadRequestError(exc.setting, exc.reason) from exc
    return web.json_response({"version": version})


async def start_replying(request: web.Request) -> web.Response:
    """I am replying: POST /api/v1/threads/{id}/replying -> who else is, right now."""
    caller = await caller_of(request)
    caller.require(*EDITORS)
    others = await request.app[SERVICES].replies.start(
        caller.workspace_id, _thread_id(request), caller.require_agent()
    )
    return web.json_response({"others_replying": others})


async def send_reply(request: web.Request) -> web.Response:
    """POST /api/v1/threads/{id}/replies {"body": "...", "key": "...", "override": false}:
    queued for posting; 409 when another agent is replying, unless overridden."""
    caller = await caller_of(request)
    caller.require(*EDITORS)
    agent_id = caller.require_agent()
    thread_id = _thread_id(request)
    body = await _json_object(request)
    key = body.get("key")
    if not isinstance(key, str) or not 0 < len(key) <= 100:
        raise BadRequestError("key", "an idempotency key (1 to 100 characters) per reply")
    try:
        item = await request.app[SERVICES].replies.send(
            caller.workspace_id,
            thread_id,
            agent_id,
            body.get("body"),
            key=key,
            override=body.get("override") is True,
        )
    except ConfigurationError as exc:
        raise BadRequestError(exc.setting, exc.reason) from exc
    except ReplyCollisionError as exc:
        return web.json_response(
            {"error": {"code": "collision", "message": str(exc), "others_replying": exc.others}},
            status=409,
        )
    return web.json_response({"outbox_id": item.id, "status": item.status.value}, status=202)


async def submit_community_answer(request: web.Request) -> web.Response:
    """A community member answers a thread offered to them; it waits for an agent."""
    caller = await caller_of(request)
    caller.require(Role.COMMUNITY)
    body = await _json_object(request)
    try:
        answer_id = await request.app[SERVICES].community_answers.submit(
            caller.workspace_id, _thread_id(request), caller.require_agent(), body.get("body")
        )
    except ConfigurationError as exc:
        raise BadRequestError(exc.setting, exc.reason) from exc
    return web.json_response({"id": answer_id, "status": "pending"}, status=201)


async def pending_community_answers(request: web.Request) -> web.Response:
    caller = await caller_of(request)
    caller.require(*EDITORS)
    pending = await request.app[SERVICES].community_answers.pending(caller.workspace_id)
    items = [{**answer, "created_at": answer["created_at"].isoformat()} for answer in pending]
    return web.json_response({"items": items})


async def review_community_answer(request: web.Request) -> web.Response:
    """POST /api/v1/community-answers/{id}/review {"decision": "approve"|"edit"|"reject",
    "body": "edited text", "note": "..."}"""
    caller = await caller_of(request)
    caller.require(*EDITORS)
    answer_id = _path_id(request, "answer_id")
    body = await _json_object(request)
    try:
        item = await request.app[SERVICES].community_answers.review(
            caller.workspace_id,
            answer_id,
            caller.require_agent(),
            body.get("decision"),
            body.get("body"),
            body.get("note"),
        )
    except ConfigurationError as exc:
        raise BadRequestError(exc.setting, exc.reason) from exc
    return web.json_response(
        {"id": answer_id, "decision": body.get("decision"), "outbox_id": item.id if item else None}
    )


async def my_contributions(request: web.Request) -> web.Response:
    caller = await caller_of(request)
    caller.require(Role.COMMUNITY)
    counts = await request.app[SERVICES].community_answers.contributions(
        caller.workspace_id, caller.require_agent()
    )
    return web.json_response(counts)


async def get_canned(request: web.Request) -> web.Response:
    caller = await caller_of(request)
    caller.require(*EDITORS)
    responses = await request.app[SERVICES].canned.all(caller.workspace_id)
    return web.json_response(
        {"items": [{"name": r.name, "body": r.body, "language": r.language} for r in responses]}
    )


async def put_canned(request: web.Request) -> web.Response:
    """Replace them: PUT /api/v1/canned-responses {"items": [{"name", "body", "language"}]}"""
    caller = await caller_of(request)
    caller.require(Role.LEAD, Role.ADMIN)
    body = await _json_object(request)
    try:
        count = await request.app[SERVICES].canned.replace(caller.workspace_id, body.get("items"))
    except ConfigurationError as exc:
        raise BadRequestError(exc.setting, exc.reason) from exc
    return web.json_response({"saved": count})


async def openapi_document(request: web.Request) -> web.Response:
    """The API's OpenAPI document; public, like the API's shape itself."""
    return web.json_response(openapi.document())


def _add_pages(app: web.Application, default_workspace: int) -> None:
    """Every page family, each registering its own routes."""
    add_login_pages(app, default_workspace)
    add_pages(app)
    add_thread_pages(app)
    add_incident_pages(app)
    add_live_events(app)
    add_admin_pages(app)
    app.router.add_static("/static", str(STATIC), show_index=False)


def create_app(
    services: Services,
    default_workspace: int | None = None,
    *,
    inbound: ReceiveWebhooks | None = None,
) -> web.Application:
    """The JSON API; with the instance's workspace, the agent pages too; with a receiver, the
    signed inbound webhooks."""
    app = web.Application(middlewares=[security_headers, errors_middleware])
    app[SERVICES] = services
    add_inbound_webhooks(app, inbound)
    if default_workspace is not None:
        _add_pages(app, default_workspace)
    app.router.add_get("/healthz", healthz)
    add_admin_api(app, caller_of)
    app.router.add_get("/api/v1/threads", list_threads)
    app.router.add_get("/api/v1/channels", list_channels)
    app.router.add_get("/metrics", prometheus_metrics)
    app.router.add_get("/api/v1/reports/sla", sla_report)
    app.router.add_get("/api/v1/threads/{thread_id}/sla", explain_thread_sla)
    app.router.add_post("/api/v1/threads/{thread_id}/close", close_thread)
    app.router.add_post("/api/v1/threads/{thread_id}/classification", correct_classification)
    app.router.add_post("/api/v1/queue/claim", claim_threads)
    app.router.add_get("/api/v1/routing", get_routing)
    app.router.add_put("/api/v1/routing", put_routing)
    app.router.add_post("/api/v1/threads/{thread_id}/replying", start_replying)
    app.router.add_post("/api/v1/threads/{thread_id}/replies", send_reply)
    app.router.add_post("/api/v1/threads/{thread_id}/community-answers", submit_community_answer)
    app.router.add_get("/api/v1/community-answers", pending_community_answers)
    app.router.add_post("/api/v1/community-answers/{answer_id}/review", review_community_answer)
    app.router.add_get("/api/v1/community/me", my_contributions)
    app.router.add_get("/api/v1/openapi.json", openapi_document)
    app.router.add_get("/api/v1/canned-responses", get_canned)
    app.router.add_put("/api/v1/canned-responses", put_canned)
    return app
