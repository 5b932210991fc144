"""Workspaces (admins): the instance's list, a new one, this workspace's preferences, and
which evidence merges two customers without a person."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from inbox.domain.customer_record import EvidenceKind
from inbox.domain.web import WebSession
from inbox.usecases.admin_access import Section
from inbox.usecases.audit import actor_of, entry_by
from web.admin.common import AdminPage, admin, fields, text, texts, ticked
from web.keys import services_of

# The evidence an admin may accept as certain, strongest first, as the page explains it.
AUTO_MERGE_CHOICES: tuple[tuple[EvidenceKind, str, str], ...] = (
    (
        EvidenceKind.SAME_CRM_ID,
        "The same CRM id",
        "Your CRM already says they are one person: the id was set by a person, the API or an "
        "import.",
    ),
    (
        EvidenceKind.SAME_EMAIL,
        "The same e-mail address, given in private messages",
        "Both identities wrote the same address to you privately.",
    ),
    (
        EvidenceKind.SAME_PHONE,
        "The same phone number, given in private messages",
        "Both identities wrote the same number to you privately.",
    ),
    (
        EvidenceKind.PROFILE_LINK,
        "A profile that links to the other",
        "A Mastodon profile field or verified link, a Bluesky domain handle or an X profile "
        "address points at the other identity. Anyone can write a link in a profile: accept "
        "it only if your customers' profiles are ones you trust.",
    ),
)


async def _context(request: web.Request, session: WebSession) -> dict[str, Any]:
    workspaces = await admin(request).workspaces.all(session)
    services = services_of(request)
    preferences = await services.workspace_preferences.load(session.workspace_id)
    accepted = await services.customers.auto_merge_kinds(session.workspace_id)
    return {
        "workspaces": workspaces,
        "preferences": preferences,
        "auto_merge": {kind.value for kind in accepted},
        "auto_merge_choices": AUTO_MERGE_CHOICES,
    }


WORKSPACES = AdminPage(Section.WORKSPACES, "/admin/workspaces", "admin_workspaces.html", _context)


async def workspaces_page(request: web.Request) -> web.StreamResponse:
    return await WORKSPACES.get(request)


async def create_workspace(request: web.Request) -> web.StreamResponse:
    session, form = await WORKSPACES.posted(request)
    typed = fields(form, slug=100, name=200)
    change = admin(request).workspaces.create(session, typed["slug"], typed["name"])
    return await WORKSPACES.submit(request, session, change, notice="created", typed=typed)


async def save_preferences(request: web.Request) -> web.StreamResponse:
    session, form = await WORKSPACES.posted(request)
    template = text(form, "crm_url_template", 1000)
    comparisons = ticked(form, "agent_comparisons")
    typed = {"crm_url_template": template, "agent_comparisons": comparisons}
    change = _save_preferences(request, session, template, comparisons)
    return await WORKSPACES.submit(request, session, change, notice="saved", typed=typed)


async def _save_preferences(
    request: web.Request, session: WebSession, template: str, comparisons: bool
) -> None:
    services = services_of(request)
    saved = await services.workspace_preferences.save(
        session.workspace_id,
        crm_url_template=template,
        agent_comparisons=comparisons,
        roles=session.roles,
    )
    await services.audit.record(
        entry_by(
            session,
            "preferences_changed",
            "workspace",
            session.workspace_id,
            crm_url_template=saved.crm_url_template,
            agent_comparisons=saved.agent_comparisons,
        )
    )


async def save_auto_merge(request: web.Request) -> web.StreamResponse:
    session, form = await WORKSPACES.posted(request)
    kinds = texts(form, "kinds")
    change = services_of(request).customers.set_auto_merge(
        session.workspace_id, kinds, actor_of(session)
    )
    return await WORKSPACES.submit(
        request, session, change, notice="saved", typed={"auto_merge": kinds}
    )
