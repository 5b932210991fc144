"""What every admin page shares: the session and its section check, the CSRF-checked form,
rendering inside the admin layout, the fixed notices shown after a redirect, and `AdminPage`,
which shows a section's page and answers its forms (Post/Redirect/Get, or the page again with
the refusal)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from inbox.domain.errors import ConfigurationError
from inbox.domain.web import WebSession
from inbox.usecases.admin import AdminServices
from inbox.usecases.admin_access import Section, require_section, sections_for
from web.keys import services_of
from web.params import page_id
from web.rendering import render
from web.session import checked_form, required_session

LONGEST_FIELD = 10_000
# After a redirect the page says what happened; only these texts, never the query's own.
NOTICES = {
    "saved": "Saved.",
    "created": "Created.",
    "added": "Added.",
    "removed": "Removed.",
    "deleted": "Deleted.",
    "enabled": "Enabled.",
    "disabled": "Disabled: it is no longer read or posted from.",
    "deactivated": "Deactivated: their sessions and API tokens ended; their history stays.",
    "reactivated": "Reactivated: they can log in again.",
    "password": "Password set: their open sessions ended.",
    "replanned": "Saved: running SLA clocks were re-planned.",
    "two-factor-reset": "Second factor reset: they sign in with their password alone (and set "
    "one up again where the workspace requires it).",
}

SECTIONS = {
    "workspaces": ("Workspaces", "The workspaces, and this one's CRM link and comparisons."),
    "people": ("People", "Who works the inbox: roles, teams, capacity, languages, passwords."),
    "teams": ("Teams and skills", "What routing sends each team: topics, languages, VIPs."),
    "calendars": ("Calendars", "Opening hours, time zones, public holidays, who is on call."),
    "sla": ("SLA policies", "Targets per priority and kind, warnings, resolution targets."),
    "routing": ("Routing rules", "The ordered rules, with how often each fired."),
    "canned": ("Canned responses", "Answers written once, filled in per thread."),
    "accounts": ("Network accounts", "Connected accounts, their health and credentials."),
    "webhooks": ("Webhooks", "Where events are posted, signed; pending and failed deliveries."),
    "audit": ("Audit trail", "Who changed settings, people and access, when, and from where."),
    "retention": ("Retention", "How long raw payloads, closed threads' texts and quarantine stay."),
}


def admin(request: web.Request) -> AdminServices:
    return services_of(request).admin


async def admin_session(request: web.Request, section: Section) -> WebSession:
    """The logged-in person, if their role opens the section (PermissionDeniedError: 403)."""
    session = await required_session(request)
    require_section(session, section)
    return session


def text(form: MultiDictProxy[Any], name: str, longest: int = LONGEST_FIELD) -> str:
    value = form.get(name, "")
    return value[:longest] if isinstance(value, str) else ""


def fields(form: MultiDictProxy[Any], **longest: int) -> dict[str, str]:
    """Several text fields at once, each cut to its longest: {name: value}."""
    return {name: text(form, name, most) for name, most in longest.items()}


def texts(form: MultiDictProxy[Any], name: str) -> list[str]:
    return [v[:200] for v in form.getall(name, []) if isinstance(v, str)][:50]


def ticked(form: MultiDictProxy[Any], name: str) -> bool:
    return form.get(name) in ("1", "on", "true")


def number(request: web.Request, name: str) -> int:
    return page_id(request, name, name)


def done(path: str, notice: str) -> web.HTTPSeeOther:
    """Post/Redirect/Get: the page again, saying what happened."""
    return web.HTTPSeeOther(f"{path}?notice={notice}")


def page(
    request: web.Request,
    template: str,
    session: WebSession,
    section: Section | None,
    *,
    status: int = 200,
    error: ConfigurationError | None = None,
    typed: dict[str, Any] | None = None,
    **context: Any,
) -> web.Response:
    return render(
        template,
        status=status,
        session=session,
        sections=[(s.value, *SECTIONS[s.value]) for s in sections_for(session)],
        current=section.value if section else "",
        notice=NOTICES.get(request.query.get("notice", "")),
        error=error,
        typed=typed or {},
        **context,
    )


def shown_once(
    request: web.Request, session: WebSession, *, what: str, secret: str, back: str
) -> web.Response:
    """A secret shown this once, answering the POST itself: it never goes into a URL (where
    logs and history would keep it) and is never stored in the clear."""
    return page(request, "admin_secret.html", session, None, what=what, secret=secret, back=back)


# What a page shows beside the layout, read afresh each time it is shown.
PageContext = Callable[[web.Request, WebSession], Awaitable[dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class AdminPage:
    """One admin page: its section (who may open it), where it lives, its template and what
    it shows. The same page answers GET and is shown again when one of its forms is refused,
    so that the refusal stands beside the form it is about."""

    section: Section
    path: str
    template: str
    context: PageContext

    async def show(
        self,
        request: web.Request,
        session: WebSession,
        *,
        error: ConfigurationError | None = None,
        typed: Mapping[str, Any] | None = None,
    ) -> web.Response:
        """The page; with a refusal (400), the error naming its field and what was typed."""
        return page(
            request,
            self.template,
            session,
            self.section,
            status=200 if error is None else 400,
            error=error,
            typed=dict(typed or {}),
            **await self.context(request, session),
        )

    async def get(self, request: web.Request) -> web.StreamResponse:
        return await self.show(request, await admin_session(request, self.section))

    async def posted(self, request: web.Request) -> tuple[WebSession, MultiDictProxy[Any]]:
        """The session, if it may open the section, and the form it posted with its token."""
        session = await admin_session(request, self.section)
        return session, await checked_form(request, session)

    async def submit(
        self,
        request: web.Request,
        session: WebSession,
        change: Awaitable[object],
        *,
        notice: str,
        typed: Mapping[str, Any] | None = None,
        then: str | None = None,
    ) -> web.StreamResponse:
        """Make the change, then redirect to `then` (this page by default) saying `notice`;
        a ConfigurationError shows this page again with it, and with what was typed."""
        try:
            await change
        except ConfigurationError as exc:
            return await self.show(request, session, error=exc, typed=typed)
        raise done(then or self.path, notice)
