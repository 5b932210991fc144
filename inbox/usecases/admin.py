"""The admin pages' use cases, assembled by the composition root (see admin_access for who
may open which)."""

from __future__ import annotations

from dataclasses import dataclass

from inbox.usecases.admin_accounts import ManageAccounts
from inbox.usecases.admin_calendars import ManageCalendars
from inbox.usecases.admin_canned import ManageCanned
from inbox.usecases.admin_people import ManagePeople
from inbox.usecases.admin_routing import ManageRouting
from inbox.usecases.admin_sla import ManageSlaPolicies
from inbox.usecases.admin_teams import ManageTeams
from inbox.usecases.admin_webhooks import AdminWebhooks
from inbox.usecases.admin_workspaces import ManageWorkspaces


@dataclass(frozen=True, slots=True)
class AdminServices:
    workspaces: ManageWorkspaces
    people: ManagePeople
    teams: ManageTeams
    calendars: ManageCalendars
    sla: ManageSlaPolicies
    routing: ManageRouting
    canned: ManageCanned
    accounts: ManageAccounts
    webhooks: AdminWebhooks
