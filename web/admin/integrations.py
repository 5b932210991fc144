"""Connected accounts and outbound webhooks (admins). Secrets go in through these forms and
never come back out: a stored credential shows as "set", a webhook's secret once."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from inbox.domain.errors import ConfigurationError
from inbox.domain.web import WebSession
from inbox.usecases.admin_access import Section
from inbox.usecases.admin_accounts import ACCOUNT_FORMS
from web.admin.common import (
    admin,
    admin_session,
    checked_form,
    done,
    number,
    page,
    shown_once,
    text,
    texts,
)

ACCOUNTS_PATH = "/admin/accounts"
WEBHOOKS_PATH = "/admin/webhooks"
LONGEST_SECRET = 2000


async def show_accounts(
    request: web.Request,
    session: WebSession,
    *,
    status: int = 200,
    error: ConfigurationError | None = None,
    typed: dict[str, Any] | None = None,
) -> web.Response:
    return page(
        request,
        "admin_accounts.html",
        session,
        Section.ACCOUNTS,
        status=status,
        error=error,
        typed=typed,
        accounts=await admin(request).accounts.all(session),
        forms=ACCOUNT_FORMS,
    )


async def accounts_page(request: web.Request) -> web.StreamResponse:
    return await show_accounts(request, await admin_session(request, Section.ACCOUNTS))


def _credentials(form: Any, network: str) -> dict[str, str]:
    fields = ACCOUNT_FORMS[network].credentials if network in ACCOUNT_FORMS else ()
    return {field.name: text(form, f"secret_{field.name}", LONGEST_SECRET + 1) for field in fields}


async def add_account(request: web.Request) -> web.StreamResponse:
    session = await admin_session(request, Section.ACCOUNTS)
    form = await checked_form(request, session)
    network = text(form, "network", 20)
    # The typed secrets are not sent back into the page, even when the form is refused.
    typed = {"network": network, "external_id": text(form, "external_id", 100),
             "handle": text(form, "handle", 200)}  # fmt: skip
    try:
        await admin(request).accounts.add(
            session, network, typed["external_id"], typed["handle"], _credentials(form, network)
        )
    except ConfigurationError as exc:
        return await show_accounts(request, session, status=400, error=exc, typed=typed)
    raise done(ACCOUNTS_PATH, "added")


async def set_credentials(request: web.Request) -> web.StreamResponse:
    session = await admin_session(request, Section.ACCOUNTS)
    form = await checked_form(request, session)
    network = text(form, "network", 20)
    try:
        await admin(request).accounts.set_credentials(
            session, number(request, "account_id"), network, _credentials(form, network)
        )
    except ConfigurationError as exc:
        return await show_accounts(request, session, status=400, error=exc)
    raise done(ACCOUNTS_PATH, "saved")


async def enable_account(request: web.Request) -> web.StreamResponse:
    return await _set_enabled(request, enabled=True)


async def disable_account(request: web.Request) -> web.StreamResponse:
    return await _set_enabled(request, enabled=False)


async def _set_enabled(request: web.Request, *, enabled: bool) -> web.StreamResponse:
    session = await admin_session(request, Section.ACCOUNTS)
    await checked_form(request, session)
    await admin(request).accounts.set_enabled(session, number(request, "account_id"), enabled)
    raise done(ACCOUNTS_PATH, "enabled" if enabled else "disabled")


async def show_webhooks(
    request: web.Request,
    session: WebSession,
    *,
    status: int = 200,
    error: ConfigurationError | None = None,
    typed: dict[str, Any] | None = None,
) -> web.Response:
    webhooks = admin(request).webhooks
    return page(
        request,
        "admin_webhooks.html",
        session,
        Section.WEBHOOKS,
        status=status,
        error=error,
        typed=typed,
        webhooks=await webhooks.all(session),
        event_kinds=webhooks.event_kinds,
    )


async def webhooks_page(request: web.Request) -> web.StreamResponse:
    return await show_webhooks(request, await admin_session(request, Section.WEBHOOKS))


async def add_webhook(request: web.Request) -> web.StreamResponse:
    session = await admin_session(request, Section.WEBHOOKS)
    form = await checked_form(request, session)
    url = text(form, "url", 2000)
    try:
        webhook, secret = await admin(request).webhooks.add(session, url, texts(form, "events"))
    except ConfigurationError as exc:
        return await show_webhooks(request, session, status=400, error=exc, typed={"url": url})
    return shown_once(
        request,
        session,
        what=f"The signing secret of webhook {webhook.id} ({webhook.shown_url})",
        secret=secret.get_secret_value(),
        back=WEBHOOKS_PATH,
    )


async def remove_webhook(request: web.Request) -> web.StreamResponse:
    session = await admin_session(request, Section.WEBHOOKS)
    await checked_form(request, session)
    await admin(request).webhooks.remove(session, number(request, "webhook_id"))
    raise done(WEBHOOKS_PATH, "removed")
