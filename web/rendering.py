"""HTML answers: the templates, and the headers every page carries.

Jinja2 with autoescaping and strict undefined: every value is escaped (network text is
untrusted) and a template naming a value nobody passed fails loudly. No inline script: the
Content-Security-Policy allows only this site's files.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from web.csrf import mask_in
from web.templating import environment, page_times

TEMPLATES = environment()
CSP = "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"


def render(
    template: str, status: int = 200, *, instant: datetime | None = None, **context: Any
) -> web.Response:
    """`instant`: the present by the application's clock, for pages that show times (the
    reader's `times` in the template); pages without times may leave it out."""
    context.setdefault("session", None)
    context.setdefault("times", page_times(context["session"], instant))
    html = TEMPLATES.get_template(template).render(**context)
    session = context["session"]
    if session is not None:
        html = mask_in(html, session.csrf_token)
    return html_response(html, status)


def html_response(html: str, status: int = 200) -> web.Response:
    response = web.Response(text=html, status=status, content_type="text/html", charset="utf-8")
    response.headers["Content-Security-Policy"] = CSP
    # Not "no-referrer": with it, browsers send `Origin: null` on this site's own forms,
    # and the login's origin check could not tell them from another site's.
    response.headers["Referrer-Policy"] = "same-origin"
    # Compressed on the way out, when the browser asks (web.compression).
    return response
