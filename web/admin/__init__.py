"""The admin pages under /admin: workspaces, people, teams, calendars, SLA policies, routing
rules, canned responses, connected accounts, webhooks, the audit trail.

Server-rendered like the agent pages, under the same CSP (no inline script or style); every
form posts the session's CSRF token and redirects after success (Post/Redirect/Get), or shows
the page again with the refusal naming the field. Who may open what is in
`inbox.usecases.admin_access`; agents, community members and ops get 403 everywhere here.
"""

from __future__ import annotations

from aiohttp import web

from inbox.domain.errors import PermissionDeniedError
from inbox.usecases.admin_access import sections_for
from web.admin import (
    audit,
    calendars,
    canned,
    documents,
    integrations,
    people,
    policies,
    retention,
    teams,
    workspaces,
)
from web.admin.common import page
from web.keys import Handler
from web.session import required_session


async def admin_index(request: web.Request) -> web.StreamResponse:
    session = await required_session(request)
    sections = sections_for(session)
    if not sections:
        raise PermissionDeniedError("the admin pages are for admins and leads")
    return page(request, "admin_index.html", session, None)


# Every admin route: (method, path, handler). The role matrix test walks this table.
ROUTES: tuple[tuple[str, str, Handler], ...] = (
    ("GET", "/admin", admin_index),
    ("GET", "/admin/workspaces", workspaces.workspaces_page),
    ("POST", "/admin/workspaces", workspaces.create_workspace),
    ("POST", "/admin/workspaces/preferences", workspaces.save_preferences),
    ("POST", "/admin/workspaces/auto-merge", workspaces.save_auto_merge),
    ("GET", "/admin/people", people.people_page),
    ("POST", "/admin/people", people.add_person),
    ("GET", "/admin/people/{agent_id}", people.person_page),
    ("POST", "/admin/people/{agent_id}", people.save_work),
    ("POST", "/admin/people/{agent_id}/roles", people.save_roles),
    ("POST", "/admin/people/{agent_id}/password", people.reset_password),
    ("POST", "/admin/people/{agent_id}/deactivate", people.deactivate),
    ("POST", "/admin/people/{agent_id}/reactivate", people.reactivate),
    ("POST", "/admin/people/{agent_id}/two-factor/reset", people.reset_two_factor),
    ("POST", "/admin/people/two-factor", people.require_two_factor),
    ("GET", "/admin/teams", teams.teams_page),
    ("POST", "/admin/teams", teams.create_team),
    ("POST", "/admin/teams/{team_id}", teams.save_team),
    ("GET", "/admin/calendars", calendars.calendars_page),
    ("POST", "/admin/calendars", calendars.add_calendar),
    ("POST", "/admin/calendars/hours", calendars.save_hours),
    ("POST", "/admin/calendars/holidays/fill", calendars.fill_holidays),
    ("POST", "/admin/calendars/holidays", calendars.save_holidays),
    ("POST", "/admin/calendars/remove", calendars.remove_calendar),
    ("GET", "/admin/sla", documents.sla_page),
    ("POST", "/admin/sla", documents.save_sla),
    ("POST", "/admin/sla/policies", policies.save_policy),
    ("POST", "/admin/sla/policies/remove", policies.remove_policy),
    ("POST", "/admin/sla/rules", policies.save_rule),
    ("POST", "/admin/sla/rules/remove", policies.remove_rule),
    ("GET", "/admin/routing", documents.routing_page),
    ("POST", "/admin/routing", documents.save_routing),
    ("GET", "/admin/canned", canned.canned_page),
    ("POST", "/admin/canned", canned.add_canned),
    ("POST", "/admin/canned/edit", canned.edit_canned),
    ("POST", "/admin/canned/delete", canned.delete_canned),
    ("GET", "/admin/accounts", integrations.accounts_page),
    ("POST", "/admin/accounts", integrations.add_account),
    ("POST", "/admin/accounts/{account_id}/credentials", integrations.set_credentials),
    ("POST", "/admin/accounts/{account_id}/enable", integrations.enable_account),
    ("POST", "/admin/accounts/{account_id}/disable", integrations.disable_account),
    ("GET", "/admin/webhooks", integrations.webhooks_page),
    ("POST", "/admin/webhooks", integrations.add_webhook),
    ("POST", "/admin/webhooks/{webhook_id}/remove", integrations.remove_webhook),
    ("GET", "/admin/audit", audit.audit_page),
    ("GET", "/admin/retention", retention.retention_page),
    ("POST", "/admin/retention", retention.save_retention),
)


def add_admin_pages(app: web.Application) -> None:
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, handler)


__all__ = ["ROUTES", "add_admin_pages"]
