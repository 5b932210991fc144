"""HTML answers: the templates, and the headers every page carries.

Jinja2 with autoescaping and strict undefined: every value is escaped (network text is
untrusted) and a template naming a value nobody passed fails loudly. No inline script: the
Content-Security-Policy allows only this site's files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("web", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
STATIC = Path(__file__).resolve().parent / "static"
# static/favicon.svg drawn at 16, 32 and 48 px. Browsers ask for it at an address that carries
# no version, so it is cached for a month rather than for ever.
FAVICON = STATIC / "favicon.ico"
FAVICON_CACHE = "public, max-age=2592000"
CSP = "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"


def render(template: str, status: int = 200, **context: Any) -> web.Response:
    context.setdefault("session", None)
    return html_response(TEMPLATES.get_template(template).render(**context), status)


def html_response(html: str, status: int = 200) -> web.Response:
    response = web.Response(text=html, status=status, content_type="text/html", charset="utf-8")
    response.headers["Content-Security-Policy"] = CSP
    # Not "no-referrer": with it, browsers send `Origin: null` on this site's own forms,
    # and the login's origin check could not tell them from another site's.
    response.headers["Referrer-Policy"] = "same-origin"
    return response


async def favicon(request: web.Request) -> web.FileResponse:
    return web.FileResponse(FAVICON, headers={"Cache-Control": FAVICON_CACHE})
