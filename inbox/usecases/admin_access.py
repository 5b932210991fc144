"""Who may open which admin section.

Admins may do everything. Leads run the team day to day: teams and skills, calendars, SLA
policies, routing rules, canned responses, and people's work profiles (teams, capacity,
languages, shifts), but not roles, passwords, second factors, accounts, webhooks, workspaces
or the audit trail. Agents,
community members and ops have no admin section at all.
"""

from __future__ import annotations

from enum import StrEnum

from inbox.domain.errors import PermissionDeniedError
from inbox.domain.people import Role
from inbox.domain.web import WebSession


class Section(StrEnum):
    WORKSPACES = "workspaces"
    PEOPLE = "people"
    TEAMS = "teams"
    CALENDARS = "calendars"
    SLA = "sla"
    ROUTING = "routing"
    CANNED = "canned"
    ACCOUNTS = "accounts"
    WEBHOOKS = "webhooks"
    AUDIT = "audit"
    RETENTION = "retention"


ADMINS = frozenset({Role.ADMIN})
RUNNING_THE_TEAM = frozenset({Role.LEAD, Role.ADMIN})

# Who may open each section; what they may change inside it is checked by its use case.
SECTION_ROLES: dict[Section, frozenset[Role]] = {
    Section.WORKSPACES: ADMINS,
    Section.PEOPLE: RUNNING_THE_TEAM,
    Section.TEAMS: RUNNING_THE_TEAM,
    Section.CALENDARS: RUNNING_THE_TEAM,
    Section.SLA: RUNNING_THE_TEAM,
    Section.ROUTING: RUNNING_THE_TEAM,
    Section.CANNED: RUNNING_THE_TEAM,
    Section.ACCOUNTS: ADMINS,
    Section.WEBHOOKS: ADMINS,
    Section.AUDIT: ADMINS,
    Section.RETENTION: ADMINS,
}


def may_open(session: WebSession, section: Section) -> bool:
    return bool(session.roles & SECTION_ROLES[section])


def require_section(session: WebSession, section: Section) -> None:
    if not may_open(session, section):
        raise PermissionDeniedError(f"the {section.value} settings are not open to your role")


def require_admin(session: WebSession, what: str) -> None:
    if Role.ADMIN not in session.roles:
        raise PermissionDeniedError(f"{what} is for admins")


def sections_for(session: WebSession) -> list[Section]:
    """The sections the person may open, in the order the admin menu lists them."""
    return [section for section in Section if may_open(session, section)]
