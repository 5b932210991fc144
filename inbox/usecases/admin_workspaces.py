"""The instance's workspaces: listed and created by admins."""

from __future__ import annotations

from inbox.domain.web import WebSession
from inbox.domain.workspace_settings import WorkspaceSummary, checked_name, checked_slug
from inbox.ports.audit import AuditTrail
from inbox.ports.people import WorkspaceDirectory
from inbox.usecases.admin_access import Section, require_section
from inbox.usecases.audit import entry_by


class ManageWorkspaces:
    def __init__(self, directory: WorkspaceDirectory, audit: AuditTrail) -> None:
        self._directory = directory
        self._audit = audit

    async def all(self, session: WebSession) -> list[WorkspaceSummary]:
        require_section(session, Section.WORKSPACES)
        return await self._directory.all()

    async def create(self, session: WebSession, slug: str, name: str) -> int:
        """A new, empty workspace: its people are added from there (or with `inbox agent
        add`); the one the web app logs into stays the instance's own."""
        require_section(session, Section.WORKSPACES)
        slug, name = checked_slug(slug), checked_name(name)
        workspace_id = await self._directory.create(slug, name)
        # In the trail of the workspace it was created from: the new one has no admin yet.
        await self._audit.record(
            entry_by(session, "workspace_created", "workspace", workspace_id, slug=slug, name=name)
        )
        return workspace_id
