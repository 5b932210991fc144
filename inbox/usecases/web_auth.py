"""Logging in to the web app: argon2 password hashes, sessions kept as hashes of their
tokens, a CSRF token per session, and attempts held back per e-mail and address, and per
e-mail from addresses not the person's own (see inbox.domain.login_throttle)."""

from __future__ import annotations

import hashlib
import math
import secrets
from datetime import timedelta

from pydantic import SecretStr

from inbox.domain.clock import Clock, utc_now
from inbox.domain.errors import ConfigurationError, InboxError, NotFoundError
from inbox.domain.login_throttle import LoginThrottle
from inbox.domain.web import AgentLogin, Membership, WebSession
from inbox.ports.people import PasswordCheck, WebSessionStore
from inbox.usecases.time_zones import TeamTimeZones, checked_time_zone

SESSION_LIFETIME = timedelta(hours=12)
THROTTLE = LoginThrottle()
SHORTEST_PASSWORD = 12


class LoginRefusedError(InboxError):
    """Wrong e-mail or password: the message never says which."""


class TooManyAttemptsError(InboxError):
    """Too many failed logins for this e-mail lately; `retry_after` whole seconds to wait."""

    def __init__(self, retry_after: int) -> None:
        if retry_after < 90:
            wait = f"{retry_after} second{'s' if retry_after > 1 else ''}"
        else:
            wait = f"{math.ceil(retry_after / 60)} minutes"
        super().__init__(f"too many failed logins: try again in {wait}")
        self.retry_after = retry_after


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def _workspace_of(token: str) -> int | None:
    """The workspace a session token names (`<workspace id>.<secret>`): its session is looked
    up there only. The whole token is hashed, so naming another workspace finds nothing."""
    workspace, dot, _ = token.partition(".")
    if not dot or not workspace.isdigit() or len(workspace) > 18:
        return None
    return int(workspace)


def session_key(token: str) -> tuple[int, bytes] | None:
    """Where a session token's session is looked up: (workspace, hash of the token); None
    for what cannot be a token."""
    workspace_id = _workspace_of(token)
    if workspace_id is None or len(token) > 100:
        return None
    return workspace_id, _digest(token)


class WebLogins:
    def __init__(
        self,
        store: WebSessionStore,
        passwords: PasswordCheck,
        *,
        clock: Clock = utc_now,
        throttle: LoginThrottle = THROTTLE,
        zones: TeamTimeZones | None = None,
    ) -> None:
        self._store = store
        self._passwords = passwords
        self._clock = clock
        self._throttle = throttle
        self._zones = zones

    async def login(
        self, workspace_id: int, email: str, password: SecretStr, address: str
    ) -> tuple[str, WebSession]:
        """The session token (for the cookie, never stored) and the session."""
        login = await self.check_password(workspace_id, email, password, address)
        return await self.open_session(login, email, address)

    async def check_password(
        self, workspace_id: int, email: str, password: SecretStr, address: str
    ) -> AgentLogin:
        """The person, if the password is theirs; the attempt is counted either way, and a
        success does not clear the count: only a session opened does (so that a second
        factor's guesses count with the password's)."""
        # Counted before the check, so that concurrent guesses cannot all be checked.
        await self.count_attempt(workspace_id, email, address)
        login = await self._store.login_of(workspace_id, email)
        # Verified even when the e-mail is unknown, so that timing says nothing.
        valid = await self._passwords.verify(login.password_hash if login else None, password)
        if login is None or not valid:
            raise LoginRefusedError("wrong e-mail or password")
        return login

    async def count_attempt(self, workspace_id: int, email: str, address: str) -> None:
        """One more attempt for the e-mail from the address; TooManyAttemptsError beyond
        what the throttle lets through."""
        now = self._clock()
        attempt = await self._store.count_attempt(workspace_id, email, address, now, self._throttle)
        if attempt.number is None:
            wait = (attempt.try_again_at or now) - now
            raise TooManyAttemptsError(max(1, math.ceil(wait.total_seconds())))

    async def open_session(
        self, login: AgentLogin, email: str, address: str
    ) -> tuple[str, WebSession]:
        """A session for a person who proved who they are: the address's count is cleared."""
        await self._store.login_succeeded(
            login.workspace_id, email, address, self._clock(), self._throttle
        )
        if not login.active:
            login = await self._first_membership(login)
        return await self._create_session(login)

    async def _first_membership(self, login: AgentLogin) -> AgentLogin:
        """Where a sign-in deactivated in its own workspace still works."""
        for membership in await self._store.memberships(login.workspace_id, login.agent_id):
            member = await self._store.member_login(membership.workspace_id, membership.agent_id)
            if member is not None:
                return member
        raise LoginRefusedError("wrong e-mail or password")

    async def _create_session(self, login: AgentLogin) -> tuple[str, WebSession]:
        now = self._clock()
        token = f"{login.workspace_id}.{secrets.token_urlsafe(32)}"
        csrf = secrets.token_urlsafe(32)
        # Worked out once a session: the team's calendar then, for as long as it lasts.
        team_zone = "UTC"
        if self._zones is not None:
            team_zone = await self._zones.of_team(login.workspace_id, login.team_id)
        await self._store.create(
            _digest(token),
            login.workspace_id,
            login.agent_id,
            csrf,
            now + SESSION_LIFETIME,
            default_time_zone=team_zone,
        )
        session = WebSession(
            login.workspace_id,
            login.agent_id,
            login.name,
            login.roles,
            csrf,
            time_zone=login.time_zone or team_zone,
            chosen_time_zone=login.time_zone,
        )
        return token, session

    async def sign_in_workspaces(self, email: str) -> list[int]:
        """Where this e-mail's password may be checked: the workspaces where it has a sign-in
        of its own (usually one; none for an unknown e-mail)."""
        return await self._store.sign_in_workspaces(email)

    async def memberships(self, session: WebSession) -> list[Membership]:
        """Every workspace the session's person belongs to, by name."""
        return await self._store.memberships(session.workspace_id, session.agent_id)

    async def switch(
        self, token: str, session: WebSession, workspace_id: int
    ) -> tuple[str, WebSession]:
        """A new session in another of the person's workspaces, as their agent row there; the
        old session ends. NotFoundError for a workspace they do not belong to (which says
        nothing of whether it exists)."""
        chosen = next(
            (m for m in await self.memberships(session) if m.workspace_id == workspace_id), None
        )
        login = chosen and await self._store.member_login(chosen.workspace_id, chosen.agent_id)
        if not login:
            raise NotFoundError("workspace", workspace_id)
        opened = await self._create_session(login)
        await self.logout(token)
        return opened

    async def person(self, workspace_id: int, email: str) -> AgentLogin | None:
        """The active person who logs in with this e-mail, if any."""
        return await self._store.login_of(workspace_id, email)

    async def session(self, token: str) -> WebSession | None:
        key = session_key(token)
        return None if key is None else await self._store.find(*key, self._clock())

    async def logout(self, token: str) -> None:
        workspace_id = _workspace_of(token)
        if workspace_id is not None:
            await self._store.delete(workspace_id, _digest(token))

    async def set_time_zone(self, session: WebSession, time_zone: str) -> str | None:
        """The person's own zone for every page from their next one; empty: their team's
        calendar's again. Returns what is stored."""
        chosen = checked_time_zone(time_zone) if time_zone.strip() else None
        await self._store.set_time_zone(session.workspace_id, session.agent_id, chosen)
        return chosen

    async def set_password(self, workspace_id: int, email: str, password: SecretStr) -> None:
        if len(password.get_secret_value()) < SHORTEST_PASSWORD:
            raise ConfigurationError("password", f"at least {SHORTEST_PASSWORD} characters")
        hashed = await self._passwords.hash(password)
        if not await self._store.set_password(workspace_id, email, hashed):
            raise NotFoundError("agent", email)
