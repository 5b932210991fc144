"""The instance's workspaces: listed and created by admins."""

from __future__ import annotations

from inbox.domain.web import WebSession
from inbox.domain.workspace_settings import WorkspaceSummary, checked_name, checked_slug
from inbox.ports.people import WorkspaceDirectory
from inbox.usecases.admin_access import Section, require_section


class ManageWorkspaces:
    def __init__(self, directory: WorkspaceDirectory) -> None:
        self._directory = directory

    async def all(self, session: WebSession) -> list[WorkspaceSummary]:
        require_section(session, Section.WORKSPACES)
        return await self._directory.all()

    async def create(self, session: WebSession, slug: str, name: str) -> int:
        """A new, empty workspace: its people are added from there (or with `inbox agent
        add`); the one the web app logs into stays the instance's own."""
        require_section(session, Section.WORKSPACES)
        return await self._directory.create(checked_slug(slug), checked_name(name))
