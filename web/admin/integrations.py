"""Connected accounts and outbound webhooks (admins). Secrets go in through these forms and
never come back out: a stored credential shows as "set", a webhook's secret once."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from inbox.domain.errors import ConfigurationError
from inbox.domain.web import WebSession
from inbox.usecases.admin_access import Section
from inbox.usecases.admin_accounts import ACCOUNT_FORMS
from web.admin.common import AdminPage, admin, done, fields, number, shown_once, text, texts

LONGEST_SECRET = 2000


async def _accounts_context(request: web.Request, session: WebSession) -> dict[str, Any]:
    return {"accounts": await admin(request).accounts.all(session), "forms": ACCOUNT_FORMS}


async def _webhooks_context(request: web.Request, session: WebSession) -> dict[str, Any]:
    webhooks = admin(request).webhooks
    return {"webhooks": await webhooks.all(session), "event_kinds": webhooks.event_kinds}


ACCOUNTS = AdminPage(Section.ACCOUNTS, "/admin/accounts", "admin_accounts.html", _accounts_context)
WEBHOOKS = AdminPage(Section.WEBHOOKS, "/admin/webhooks", "admin_webhooks.html", _webhooks_context)


async def accounts_page(request: web.Request) -> web.StreamResponse:
    return await ACCOUNTS.get(request)


async def webhooks_page(request: web.Request) -> web.StreamResponse:
    return await WEBHOOKS.get(request)


def _credentials(form: MultiDictProxy[Any], network: str) -> dict[str, str]:
    asked = ACCOUNT_FORMS[network].credentials if network in ACCOUNT_FORMS else ()
    return {field.name: text(form, f"secret_{field.name}", LONGEST_SECRET + 1) for field in asked}


async def add_account(request: web.Request) -> web.StreamResponse:
    session, form = await ACCOUNTS.posted(request)
    # The typed secrets are not sent back into the page, even when the form is refused.
    typed = fields(form, network=20, external_id=100, handle=200)
    network = typed["network"]
    change = admin(request).accounts.add(
        session, network, typed["external_id"], typed["handle"], _credentials(form, network)
    )
    return await ACCOUNTS.submit(request, session, change, notice="added", typed=typed)


async def set_credentials(request: web.Request) -> web.StreamResponse:
    session, form = await ACCOUNTS.posted(request)
    network = text(form, "network", 20)
    change = admin(request).accounts.set_credentials(
        session, number(request, "account_id"), network, _credentials(form, network)
    )
    return await ACCOUNTS.submit(request, session, change, notice="saved")


async def enable_account(request: web.Request) -> web.StreamResponse:
    return await _set_enabled(request, enabled=True)


async def disable_account(request: web.Request) -> web.StreamResponse:
    return await _set_enabled(request, enabled=False)


async def _set_enabled(request: web.Request, *, enabled: bool) -> web.StreamResponse:
    session, _ = await ACCOUNTS.posted(request)
    await admin(request).accounts.set_enabled(session, number(request, "account_id"), enabled)
    raise done(ACCOUNTS.path, "enabled" if enabled else "disabled")


async def add_webhook(request: web.Request) -> web.StreamResponse:
    session, form = await WEBHOOKS.posted(request)
    url = text(form, "url", 2000)
    try:
        webhook, secret = await admin(request).webhooks.add(session, url, texts(form, "events"))
    except ConfigurationError as exc:
        return await WEBHOOKS.show(request, session, error=exc, typed={"url": url})
    # Answered on the POST itself, not redirected: the secret must never be in a URL.
    return shown_once(
        request,
        session,
        what=f"The signing secret of webhook {webhook.id} ({webhook.shown_url})",
        secret=secret.get_secret_value(),
        back=WEBHOOKS.path,
    )


async def remove_webhook(request: web.Request) -> web.StreamResponse:
    session, _ = await WEBHOOKS.posted(request)
    await admin(request).webhooks.remove(session, number(request, "webhook_id"))
    raise done(WEBHOOKS.path, "removed")
