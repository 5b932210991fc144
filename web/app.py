"""The web application, assembled: the pages at the root, the JSON API and /metrics as
sub-applications, each with one error middleware (`web.errors`).

    /                 pages (HTML errors): login, inbox, threads, incidents, admin, community,
                      /events, /static; and /healthz
    /media            the image proxy (short text errors, for images)
    /api/v1           the JSON API (JSON errors), its admin endpoints, the OpenAPI document,
                      and /api/v1/inbound, the signed webhook deliveries (their own answers)
    /metrics          Prometheus (JSON errors, like the API it shares tokens with)

The root's middlewares wrap the sub-applications' too: the security headers reach every
answer, and the API's errors are answered before they could reach the pages' middleware.
"""

from __future__ import annotations

from aiohttp import web

from inbox.usecases.inbound_webhooks import ReceiveWebhooks
from inbox.usecases.services import Services
from web.admin import add_admin_pages
from web.admin.api import add_admin_api
from web.api.audit import add_audit_api
from web.api.customer_rights import add_customer_rights_api
from web.api.customers import add_customer_api
from web.api.exports import add_export_api
from web.api.replies import add_reply_api
from web.api.reports import add_report_api
from web.api.retention import add_retention_api
from web.api.settings import add_settings_api
from web.api.threads import add_thread_api
from web.assets import add_assets
from web.community import add_community_pages
from web.compression import compressed_pages
from web.customer_pages import add_customer_pages
from web.customer_rights import add_customer_rights_pages
from web.desk_actions import add_desk_actions
from web.errors import api_errors, page_errors
from web.exports import add_export_pages
from web.inbound_webhooks import add_inbound_webhooks
from web.incidents import add_incident_pages
from web.keys import CLOCK, SERVICES, Handler
from web.live import add_live_events
from web.login import add_login_pages
from web.media import add_media_proxy
from web.monitoring import healthz, metrics_app
from web.openapi import add_openapi
from web.pages import add_pages
from web.profile import add_profile_pages
from web.thread_pages import add_thread_pages

API_PREFIX = "/api/v1"


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def _api_app(inbound: ReceiveWebhooks | None) -> web.Application:
    api = web.Application(middlewares=[api_errors])
    add_thread_api(api)
    add_reply_api(api)
    add_settings_api(api)
    add_report_api(api)
    add_customer_api(api)
    add_customer_rights_api(api)
    add_retention_api(api)
    add_admin_api(api)
    add_audit_api(api)
    add_export_api(api)
    add_openapi(api)
    add_inbound_webhooks(api, inbound)
    return api


def _add_pages(app: web.Application) -> None:
    """Every page family, each registering its own routes."""
    add_login_pages(app)
    add_pages(app)
    add_desk_actions(app)
    add_thread_pages(app)
    add_customer_pages(app)
    add_customer_rights_pages(app)
    add_incident_pages(app)
    add_live_events(app)
    add_admin_pages(app)
    add_profile_pages(app)
    add_community_pages(app)
    add_export_pages(app)
    add_assets(app)
    add_media_proxy(app)


def create_app(
    services: Services,
    default_workspace: int | None = None,
    *,
    inbound: ReceiveWebhooks | None = None,
) -> web.Application:
    """The JSON API; with a workspace (the instance's own, as the command line names it), the
    agent pages too; with a receiver, the signed inbound webhooks. No page or endpoint is
    scoped by it: each serves the workspace of its session or token."""
    # Compression outermost: error pages are compressed like the others.
    app = web.Application(middlewares=[compressed_pages, security_headers, page_errors])
    app[SERVICES] = services
    app[CLOCK] = services.clock
    app.router.add_get("/healthz", healthz)
    if default_workspace is not None:
        _add_pages(app)
    app.add_subapp("/metrics", metrics_app())
    app.add_subapp(API_PREFIX, _api_app(inbound))
    return app
