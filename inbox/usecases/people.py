"""Agents saved by e-mail, as `inbox agent add` and the demo set a workspace up.

The admin pages go through `ManagePeople`, which acts for a signed-in admin; here the caller
is whoever runs the command on the instance."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from pydantic import SecretStr

from inbox.domain.errors import ConfigurationError
from inbox.domain.people import Role
from inbox.ports.people import PeopleStore

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SavedAgent:
    agent_id: int
    email: str  # as stored: lower case
    roles: tuple[Role, ...]
    teams: tuple[str, ...]


class LoginPasswords(Protocol):
    """`WebLogins`, for what it does here: it holds the password rules and the hashing."""

    async def set_password(self, workspace_id: int, email: str, password: SecretStr) -> None: ...


class SaveAgents:
    def __init__(self, store: PeopleStore, logins: LoginPasswords) -> None:
        self._store = store
        self._logins = logins

    async def save(
        self,
        workspace_id: int,
        email: str,
        name: str,
        roles: Iterable[Role] = (),
        teams: Iterable[str] = (),
        *,
        password: SecretStr | None = None,
        languages: Sequence[str] | None = None,
    ) -> SavedAgent:
        """Create or update the agent with exactly these roles (agent when none) and teams
        (made when new); with `password`, their web login; with `languages`, what they answer
        in. A blank team name is left out, a role given twice counts once."""
        email = email.strip()
        if "@" not in email or any(c.isspace() for c in email):
            raise ConfigurationError("email", f"{email!r} is not an e-mail address")
        chosen = tuple(dict.fromkeys(roles)) or (Role.AGENT,)
        named = tuple(t.strip() for t in teams if t.strip())
        agent_id = await self._store.save_agent(workspace_id, email, name, chosen, named)
        if languages is not None:
            await self._store.set_languages(workspace_id, email, languages)
        if password is not None:
            await self._logins.set_password(workspace_id, email, password)
        log.info(
            "agent saved",
            extra={"action": "agent_save", "workspace_id": workspace_id, "agent_id": agent_id},
        )
        return SavedAgent(agent_id, email.lower(), chosen, named)

    async def set_team_languages(
        self, workspace_id: int, languages: Mapping[str, Sequence[str]]
    ) -> None:
        """By team name, the languages each team answers in; a name no team has is ignored."""
        await self._store.set_team_languages(workspace_id, languages)
