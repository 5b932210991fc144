"""Workspaces, people, their sessions, tokens, accounts and credentials."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import SecretStr

from inbox.domain.audit import AuditEntry
from inbox.domain.login_throttle import LoginAttempt, LoginThrottle
from inbox.domain.network import Network, NetworkAccount
from inbox.domain.people import Role
from inbox.domain.web import (
    AgentLogin,
    Membership,
    WebSession,
)
from inbox.domain.workspace_settings import (
    NewPerson,
    PersonRecord,
    TeamProfile,
    WorkProfile,
    WorkspacePreferences,
    WorkspaceSummary,
)

if TYPE_CHECKING:
    pass


class TokenStore(Protocol):
    async def find_token(
        self, workspace_id: int, token_hash: bytes
    ) -> tuple[int, Role, int | None] | None:
        """The token's id, role and agent, if it exists and is not revoked."""
        ...

    async def create_token(
        self,
        workspace_id: int,
        name: str,
        role: Role,
        token_hash: bytes,
        agent_email: str | None = None,
    ) -> int:
        """Raises NotFoundError when `agent_email` names no agent of the workspace."""
        ...


class WorkspaceStore(Protocol):
    async def ensure_workspace(self, slug: str, name: str) -> int: ...

    async def workspace_id(self, slug: str) -> int | None: ...


class AccountRegistry(Protocol):
    """The brand's own accounts on networks, found again by (network, external id)."""

    async def add_account(
        self, workspace_id: int, network: Network, external_id: str, handle: str
    ) -> NetworkAccount:
        """Registered (or its handle updated): its messages become outbound."""
        ...

    async def configure_account(
        self,
        workspace_id: int,
        network: Network,
        external_id: str,
        handle: str,
        settings: dict[str, Any],
    ) -> int:
        """The account's id, created or updated with these settings, and enabled."""
        ...


class CredentialStore(Protocol):
    async def replace(
        self, workspace_id: int, account_id: int, secrets: Mapping[str, SecretStr]
    ) -> None:
        """Store these secrets, sealed, for the account and forget any other it had."""
        ...


class PeopleStore(Protocol):
    async def save_agent(
        self,
        workspace_id: int,
        email: str,
        display_name: str,
        roles: Sequence[Role],
        teams: Sequence[str],
    ) -> int:
        """Create or update the agent (by e-mail) with exactly these roles and teams."""
        ...

    async def set_languages(self, workspace_id: int, email: str, languages: Sequence[str]) -> None:
        """The languages the agent answers in (routing offers them those threads)."""
        ...

    async def set_team_languages(
        self, workspace_id: int, languages: Mapping[str, Sequence[str]]
    ) -> None:
        """By team name: the languages each team answers in."""
        ...


class PasswordCheck(Protocol):
    """Slow on purpose (that is what makes guessing costly): implementations keep the work
    off the event loop and bound how much of it runs at once."""

    async def hash(self, password: SecretStr) -> str: ...

    async def verify(self, stored: str | None, password: SecretStr) -> bool:
        """False for a wrong password or no stored hash, in about the same time."""
        ...


class WebSessionStore(Protocol):
    async def login_of(self, workspace_id: int, email: str) -> AgentLogin | None: ...

    async def set_password(self, workspace_id: int, email: str, password_hash: str) -> bool: ...

    async def create(
        self,
        token_hash: bytes,
        workspace_id: int,
        agent_id: int,
        csrf_token: str,
        expires_at: datetime,
        default_time_zone: str = ...,
    ) -> None:
        """`default_time_zone`: the zone the session's times are shown in while the person
        has chosen none."""
        ...

    async def find(
        self, workspace_id: int, token_hash: bytes, now: datetime
    ) -> WebSession | None: ...

    async def delete(self, workspace_id: int, token_hash: bytes) -> None: ...

    async def sign_in_workspaces(self, email: str) -> list[int]:
        """The workspaces where this e-mail has a sign-in of its own (a password), by id."""
        ...

    async def memberships(self, workspace_id: int, agent_id: int) -> list[Membership]: ...

    async def member_login(self, workspace_id: int, agent_id: int) -> AgentLogin | None:
        """The active agent row as a session is opened for it, linked or not."""
        ...

    async def set_time_zone(
        self, workspace_id: int, agent_id: int, time_zone: str | None
    ) -> None: ...

    async def count_attempt(
        self, workspace_id: int, email: str, address: str, now: datetime, throttle: LoginThrottle
    ) -> LoginAttempt:
        """Counts the attempt before its password is checked, atomically: of concurrent
        attempts, only as many as the throttle allows get a number."""
        ...

    async def login_succeeded(
        self, workspace_id: int, email: str, address: str, now: datetime, throttle: LoginThrottle
    ) -> None:
        """Clears the address's count and makes the address the person's own."""
        ...


class WorkspacePreferencesStore(Protocol):
    async def load(self, workspace_id: int) -> WorkspacePreferences | None:
        """None until an admin saved some."""
        ...

    async def save(self, workspace_id: int, preferences: WorkspacePreferences) -> None: ...


class WorkspaceDirectory(Protocol):
    """Every workspace of the instance."""

    async def all(self) -> list[WorkspaceSummary]: ...

    async def create(self, slug: str, name: str) -> int:
        """The new workspace's id; ConfigurationError("slug") when the slug is taken."""
        ...


class PeopleAdminStore(Protocol):
    async def people(self, workspace_id: int) -> list[PersonRecord]: ...

    async def person(self, workspace_id: int, agent_id: int) -> PersonRecord | None: ...

    async def add(
        self, workspace_id: int, person: NewPerson, *, audit: AuditEntry | None = None
    ) -> int:
        """The new person's id; ConfigurationError("email") when someone has the address.
        `audit` (its object id set to the new person's) is appended in the same transaction,
        as it is by every change below."""
        ...

    async def add_member(
        self, workspace_id: int, person: NewPerson, *, audit: AuditEntry | None = None
    ) -> int:
        """A person who signs in to another workspace, added to this one: a new agent row
        linked to their sign-in there (`person.password_hash` is not used); ConfigurationError
        ("email") when the e-mail has no such sign-in, or several, or is here already."""
        ...

    async def save_work(
        self,
        workspace_id: int,
        agent_id: int,
        name: str,
        work: WorkProfile,
        *,
        audit: AuditEntry | None = None,
    ) -> bool:
        """Name, teams, capacity, languages, networks, topics, shift; False if nobody."""
        ...

    async def save_roles(
        self,
        workspace_id: int,
        agent_id: int,
        roles: frozenset[Role],
        *,
        audit: AuditEntry | None = None,
    ) -> bool: ...

    async def set_active(
        self, workspace_id: int, agent_id: int, active: bool, *, audit: AuditEntry | None = None
    ) -> bool:
        """Deactivating ends the person's web sessions and revokes their API tokens, in the
        same transaction; their threads, notes and history stay."""
        ...

    async def set_password_hash(
        self,
        workspace_id: int,
        agent_id: int,
        password_hash: str,
        *,
        audit: AuditEntry | None = None,
    ) -> bool:
        """A new password ends the person's web sessions."""
        ...


class TeamAdminStore(Protocol):
    async def teams(self, workspace_id: int) -> list[TeamProfile]: ...

    async def create(self, workspace_id: int, team: TeamProfile) -> int:
        """ConfigurationError("name") when a team has the name already."""
        ...

    async def save(self, workspace_id: int, team: TeamProfile) -> bool:
        """Rename and re-profile the team `team.team_id`; False when it does not exist."""
        ...


class AccountAdminStore(Protocol):
    """Connected accounts as admins manage them. Secrets go in and never come back out:
    only the names of those set are read."""

    async def credential_names(self, workspace_id: int) -> dict[int, tuple[str, ...]]: ...

    async def add_account(
        self, workspace_id: int, network: str, external_id: str, handle: str
    ) -> int: ...

    async def set_credentials(
        self, workspace_id: int, account_id: int, secrets: Mapping[str, SecretStr]
    ) -> bool:
        """Store these secrets (others the account has are kept); False if no account."""
        ...

    async def set_enabled(self, workspace_id: int, account_id: int, enabled: bool) -> bool: ...
