"""A workspace's preferences: read by any page that needs them, changed by admins."""

from __future__ import annotations

from collections.abc import Iterable

from inbox.domain.errors import PermissionDeniedError
from inbox.domain.people import Role
from inbox.domain.workspace_settings import WorkspacePreferences
from inbox.ports.people import WorkspacePreferencesStore


class ManageWorkspacePreferences:
    def __init__(self, store: WorkspacePreferencesStore) -> None:
        self._store = store

    async def load(self, workspace_id: int) -> WorkspacePreferences:
        """The workspace's preferences, or the defaults (no CRM link, no comparisons)."""
        return await self._store.load(workspace_id) or WorkspacePreferences()

    async def save(
        self,
        workspace_id: int,
        *,
        crm_url_template: str | None,
        agent_comparisons: bool,
        roles: Iterable[Role],
    ) -> WorkspacePreferences:
        """Checked (ConfigurationError names the field), then stored; admins only."""
        if Role.ADMIN not in set(roles):
            raise PermissionDeniedError("workspace preferences are changed by admins")
        preferences = WorkspacePreferences.checked(crm_url_template, agent_comparisons)
        await self._store.save(workspace_id, preferences)
        return preferences
