"""How the project's errors become HTTP answers: one middleware for the JSON API, one for the
pages. Handlers raise the project's errors (`inbox.domain.errors`) and never build an error
answer themselves.

| raised                        | API (JSON)            | pages (HTML)                      |
|-------------------------------|-----------------------|-----------------------------------|
| ConfigurationError (and 400s) | 400 bad_request       | 400, the reason, go back          |
| AuthenticationError           | 401 unauthenticated   | (pages send people to /login)     |
| PermissionDeniedError         | 403 forbidden         | 403, the reason, and a way out    |
| NotFoundError                 | 404 not_found         | 404, and a way back               |
| ConflictError                 | 409 conflict          | 409, the reason                   |
| DatabaseUnavailableError      | 503 unavailable       | 503 page (JSON for scripts)       |
"""

from __future__ import annotations

import logging
import re

from aiohttp import web

from inbox.domain.errors import (
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    DatabaseUnavailableError,
    NotFoundError,
    PermissionDeniedError,
)
from inbox.domain.people import Role
from inbox.domain.web import WebSession
from web.keys import Handler, now
from web.rendering import TEMPLATES, html_response
from web.session import SESSION
from web.templating import page_times

log = logging.getLogger(__name__)

# How long a client is asked to wait before trying again while the database is away: the
# pool opens connections again within a second or two of the server accepting them.
RETRY_AFTER_SECONDS = 5


class BadRequestError(ConfigurationError):
    """A request's parameter or field is malformed; the message names it (400)."""


def json_error(status: int, code: str, message: str, **details: object) -> web.Response:
    """The API's error answer: {"error": {"code", "message", and any details}}."""
    error = {"code": code, "message": message, **details}
    return web.json_response({"error": error}, status=status)


def _unavailable_logged(request: web.Request, exc: DatabaseUnavailableError) -> None:
    # Every request meets it while the server is away: one line each, no traceback.
    log.warning(
        "database unavailable",
        extra={"action": "http_unavailable", "path": request.path,
               "error": type(exc.__cause__ or exc).__name__},
    )  # fmt: skip


def _retry_later(response: web.Response) -> web.Response:
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _http_error(exc: web.HTTPException) -> web.Response:
    """aiohttp's own refusals (no such route, method not allowed, body too large) in the
    API's shape."""
    code = re.sub(r"[^a-z]+", "_", exc.reason.lower()).strip("_")
    default = f"{exc.status}: {exc.reason}"
    message = exc.text if exc.text and exc.text != default else exc.reason.lower()
    response = json_error(exc.status, code, message)
    if "Allow" in exc.headers:
        response.headers["Allow"] = exc.headers["Allow"]
    return response


@web.middleware
async def api_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ConfigurationError as exc:
        return json_error(400, "bad_request", str(exc))
    except AuthenticationError as exc:
        response = json_error(401, "unauthenticated", str(exc))
        response.headers["WWW-Authenticate"] = 'Bearer realm="inbox"'
        return response
    except PermissionDeniedError as exc:
        return json_error(403, "forbidden", str(exc))
    except NotFoundError as exc:
        return json_error(404, "not_found", str(exc))
    except ConflictError as exc:
        return json_error(409, "conflict", str(exc))
    except DatabaseUnavailableError as exc:
        _unavailable_logged(request, exc)
        return _retry_later(json_error(503, "unavailable", "the database is unavailable"))
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return _http_error(exc)


ERROR_PAGE = TEMPLATES.from_string(
    """{% extends "base.html" %}
{% block title %}{{ title }} · Inbox{% endblock %}
{% block main %}
<h1>{{ title }}</h1>
<p role="alert">{{ reason }}</p>
{% if advice %}<p>{{ advice }}</p>{% endif %}
{% if ways_out %}<ul>{% for href, label in ways_out %}
<li><a href="{{ href }}">{{ label }}</a></li>{% endfor %}
</ul>{% endif %}
{% endblock %}"""
)
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


def _home(session: WebSession | None) -> tuple[str, str]:
    """Where a person can always go: the inbox for staff, their own page for a community
    member, the login page for someone not logged in."""
    if session is None:
        return "/login", "Log in"
    if session.has(Role.AGENT, Role.LEAD, Role.OPS, Role.ADMIN):
        return "/inbox", "Back to the inbox"
    return "/me", "Your page"


def _error_page(
    request: web.Request,
    status: int,
    title: str,
    reason: str,
    *,
    advice: str = "",
    ways_out: tuple[tuple[str, str], ...] = (),
) -> web.Response:
    session = request.get(SESSION)
    html = ERROR_PAGE.render(
        session=session,
        times=page_times(session, now(request)),
        title=title,
        reason=reason,
        advice=advice,
        ways_out=(_home(session), *ways_out),
    )
    return html_response(html, status)


def _forbidden_page(request: web.Request, reason: str) -> web.Response:
    others = () if request.get(SESSION) is None else (("/login", "Log in as someone else"),)
    return _error_page(request, 403, "Not open to you", reason, ways_out=others)


def _wants_a_page(request: web.Request) -> bool:
    """A person's browser, as it asks for a page or sends a form (not a page's script)."""
    return "text/html" in request.headers.get("Accept", "")


def _unavailable(request: web.Request) -> web.Response:
    """A person's browser gets a page saying so; a page's scripts, JSON."""
    if _wants_a_page(request):
        # An empty link is this very address: a page read again, never a form sent again.
        again = request.method in ("GET", "HEAD")
        return _retry_later(
            html_response(
                UNAVAILABLE_PAGE.render(session=None, times=page_times(None), again=again), 503
            )
        )
    return _retry_later(json_error(503, "unavailable", "the database is unavailable"))


@web.middleware
async def page_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ConfigurationError as exc:
        advice = "Go back, correct it and send it again."
        return _error_page(request, 400, "Not accepted", str(exc), advice=advice)
    except PermissionDeniedError as exc:
        return _forbidden_page(request, str(exc))
    except NotFoundError as exc:
        return _error_page(request, 404, "Not found", str(exc))
    except ConflictError as exc:
        return _error_page(request, 409, "Not done", str(exc))
    except DatabaseUnavailableError as exc:
        _unavailable_logged(request, exc)
        return _unavailable(request)
    except web.HTTPNotFound:
        return _error_page(request, 404, "Not found", "There is no page at this address.")
