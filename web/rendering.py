"""HTML answers: the templates, and the headers every page carries.

Jinja2 with autoescaping and strict undefined: every value is escaped (network text is
untrusted) and a template naming a value nobody passed fails loudly. No inline script: the
Content-Security-Policy allows only this site's files.
"""

from __future__ import annotations

import secrets
from collections.abc import Hashable
from datetime import datetime
from typing import Any

from aiohttp import web
from markupsafe import Markup

from web.csrf import mask_in
from web.templating import environment, page_times

TEMPLATES = environment()
CSP = "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"


def render(
    template: str, status: int = 200, *, instant: datetime | None = None, **context: Any
) -> web.Response:
    """`instant`: the present by the application's clock, for pages that show times (the
    reader's `times` in the template); pages without times may leave it out."""
    html = _drawn(template, {**context, "instant": instant})
    session = context.get("session")
    if session is not None:
        html = mask_in(html, session.csrf_token)
    return html_response(html, status)


# The pages around a slot kept at once (`render_around`): one a person and view, about.
PAGES_KEPT = 2048
# Stands for the slot's filling while the page around it is drawn; random, so that no text
# of a page can be it.
_SLOT = f"<!--slot-{secrets.token_hex(16)}-->"
_around: dict[Hashable, tuple[str, str]] = {}


def render_around(
    template: str,
    slot: str,
    filling: Markup,
    *,
    key: Hashable,
    status: int = 200,
    **context: Any,
) -> web.Response:
    """`template` with `filling` as `slot`, the page around it drawn once for `key`, which must
    name every value of the context that the page shows (the session among them: the page
    around is never another person's). The inbox's page is the same chrome around new rows
    at each request: drawing it was a fifth of the page's time."""
    around = _around.get(key)
    if around is None:
        html = _drawn(template, {**context, slot: Markup(_SLOT)})  # noqa: S704 (a constant)
        before, found, after = html.partition(_SLOT)
        assert found, f"{template} does not show {slot}"
        if len(_around) >= PAGES_KEPT:
            _around.clear()  # many people at once: start again rather than grow
        around = _around[key] = (before, after)
    # Joined as text: Markup's own + would escape the page around.
    html = "".join((around[0], filling, around[1]))
    session = context.get("session")
    if session is not None:
        html = mask_in(html, session.csrf_token)
    return html_response(html, status)


def _drawn(template: str, context: dict[str, Any]) -> str:
    context.setdefault("session", None)
    context.setdefault("times", page_times(context["session"], context.pop("instant", None)))
    return TEMPLATES.get_template(template).render(**context)


def html_response(html: str, status: int = 200) -> web.Response:
    response = web.Response(text=html, status=status, content_type="text/html", charset="utf-8")
    response.headers["Content-Security-Policy"] = CSP
    # Not "no-referrer": with it, browsers send `Origin: null` on this site's own forms,
    # and the login's origin check could not tell them from another site's.
    response.headers["Referrer-Policy"] = "same-origin"
    # Compressed on the way out, when the browser asks (web.compression).
    return response
