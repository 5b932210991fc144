"""People of a workspace as admins and leads manage them.

Leads set how people work (teams, capacity, languages, networks, topics, shifts); only admins
add people, change roles, reset passwords and deactivate. Nobody is ever deleted: a person's
threads, notes and history stay, and deactivation ends their sessions and API tokens at once.
An admin cannot take away their own admin role or deactivate themselves, so that a workspace
never locks its last admin out by a slip.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import SecretStr

from inbox.domain.errors import ConfigurationError, NotFoundError
from inbox.domain.people import Role
from inbox.domain.web import WebSession
from inbox.domain.workspace_settings import (
    NewPerson,
    PersonRecord,
    WorkProfile,
    checked_capacity,
    checked_email,
    checked_languages,
    checked_name,
    checked_networks,
    checked_roles,
    checked_team_names,
    checked_topics,
    split_list,
)
from inbox.ports.people import PasswordCheck, PeopleAdminStore, TeamAdminStore
from inbox.usecases.admin_access import Section, require_admin, require_section
from inbox.usecases.audit import entry_by
from inbox.usecases.web_auth import SHORTEST_PASSWORD

log = logging.getLogger(__name__)

LONGEST_PASSWORD = 1024


@dataclass(frozen=True, slots=True)
class WorkForm:
    """How a person works, as typed in the form (lists as "fr, en")."""

    name: str
    teams: tuple[str, ...] = ()
    capacity: str = "8"
    languages: str = ""
    networks: tuple[str, ...] = ()
    topics: str = ""
    on_shift: bool = True
    away: bool = False


class ManagePeople:
    def __init__(
        self, people: PeopleAdminStore, teams: TeamAdminStore, passwords: PasswordCheck
    ) -> None:
        self._people = people
        self._teams = teams
        self._passwords = passwords

    async def all(self, session: WebSession) -> list[PersonRecord]:
        require_section(session, Section.PEOPLE)
        return await self._people.people(session.workspace_id)

    async def person(self, session: WebSession, agent_id: int) -> PersonRecord:
        require_section(session, Section.PEOPLE)
        person = await self._people.person(session.workspace_id, agent_id)
        if person is None:
            raise NotFoundError("person", agent_id)
        return person

    async def team_names(self, session: WebSession) -> list[str]:
        require_section(session, Section.PEOPLE)
        return [team.name for team in await self._teams.teams(session.workspace_id)]

    async def add(
        self,
        session: WebSession,
        *,
        email: str,
        roles: Iterable[str],
        work: WorkForm,
        password: str = "",
    ) -> tuple[int, SecretStr | None]:
        """The new person's id, and the password generated for them (to show once), or None
        when the admin set one."""
        require_admin(session, "adding people")
        address = checked_email(email)
        chosen = checked_roles(roles)
        profile = await self._checked_work(session, work)
        initial, generated = _initial_password(password)
        person = NewPerson(
            address, checked_name(work.name), chosen, profile, await self._passwords.hash(initial)
        )
        audit = entry_by(
            session, "person_added", "person", None, email=address, roles=sorted(chosen),
            teams=profile.teams,
        )  # fmt: skip
        agent_id = await self._people.add(session.workspace_id, person, audit=audit)
        _log("person_added", session, agent_id, roles=sorted(chosen))
        return agent_id, generated

    async def add_existing(
        self, session: WebSession, *, email: str, roles: Iterable[str], work: WorkForm
    ) -> int:
        """Someone who signs in to another workspace, added to this one by e-mail: they sign in
        as before (their password and second factor stay theirs) and then choose a workspace.
        Their roles, teams and work here are this workspace's own."""
        require_admin(session, "adding people")
        address = checked_email(email)
        chosen = checked_roles(roles)
        profile = await self._checked_work(session, work)
        person = NewPerson(address, checked_name(work.name), chosen, profile, password_hash="")
        audit = entry_by(
            session, "person_added", "person", None, email=address, roles=sorted(chosen),
            teams=profile.teams, existing_sign_in=True,
        )  # fmt: skip
        agent_id = await self._people.add_member(session.workspace_id, person, audit=audit)
        _log("person_added", session, agent_id, roles=sorted(chosen), existing_sign_in=True)
        return agent_id

    async def save_work(self, session: WebSession, agent_id: int, work: WorkForm) -> None:
        require_section(session, Section.PEOPLE)
        profile = await self._checked_work(session, work)
        name = checked_name(work.name)
        before = await self.person(session, agent_id)
        audit = entry_by(
            session,
            "work_changed",
            "person",
            agent_id,
            before=_work_summary(before.name, before.work),
            after=_work_summary(name, profile),
        )
        if not await self._people.save_work(
            session.workspace_id, agent_id, name, profile, audit=audit
        ):
            raise NotFoundError("person", agent_id)

    async def save_roles(self, session: WebSession, agent_id: int, roles: Iterable[str]) -> None:
        require_admin(session, "changing roles")
        chosen = checked_roles(roles)
        if agent_id == session.agent_id and Role.ADMIN not in chosen:
            raise ConfigurationError(
                "roles", "you cannot take away your own admin role: ask another admin"
            )
        before = await self.person(session, agent_id)
        audit = entry_by(
            session,
            "roles_changed",
            "person",
            agent_id,
            before=sorted(before.roles),
            after=sorted(chosen),
        )
        if not await self._people.save_roles(session.workspace_id, agent_id, chosen, audit=audit):
            raise NotFoundError("person", agent_id)
        _log("roles_changed", session, agent_id, roles=sorted(chosen))

    async def set_active(self, session: WebSession, agent_id: int, active: bool) -> None:
        require_admin(session, "deactivating people")
        if agent_id == session.agent_id and not active:
            raise ConfigurationError("active", "you cannot deactivate yourself: ask another admin")
        action = "person_reactivated" if active else "person_deactivated"
        audit = entry_by(session, action, "person", agent_id, active=active)
        if not await self._people.set_active(session.workspace_id, agent_id, active, audit=audit):
            raise NotFoundError("person", agent_id)
        _log(action, session, agent_id)

    async def reset_password(
        self, session: WebSession, agent_id: int, password: str = ""
    ) -> SecretStr | None:
        """Sets the password (or a generated one, returned to show once); the person's open
        sessions end."""
        require_admin(session, "resetting passwords")
        new, generated = _initial_password(password)
        audit = entry_by(
            session, "password_reset", "person", agent_id, generated=generated is not None
        )
        if not await self._people.set_password_hash(
            session.workspace_id, agent_id, await self._passwords.hash(new), audit=audit
        ):
            raise NotFoundError("person", agent_id)
        _log("password_reset", session, agent_id)
        return generated

    async def _checked_work(self, session: WebSession, work: WorkForm) -> WorkProfile:
        known = [team.name for team in await self._teams.teams(session.workspace_id)]
        return WorkProfile(
            teams=checked_team_names(work.teams, known),
            capacity=checked_capacity(work.capacity),
            languages=checked_languages(split_list(work.languages)),
            networks=checked_networks(work.networks),
            topics=checked_topics(split_list(work.topics)),
            on_shift=work.on_shift,
            away=work.away,
        )


def _log(action: str, session: WebSession, agent_id: int, **details: object) -> None:
    log.info(
        "person changed",
        extra={
            "action": action,
            "workspace_id": session.workspace_id,
            "by_agent_id": session.agent_id,
            "agent_id": agent_id,
            **details,
        },
    )


def _work_summary(name: str, work: WorkProfile) -> dict[str, object]:
    return {
        "name": name,
        "teams": list(work.teams),
        "capacity": work.capacity,
        "languages": list(work.languages),
        "networks": list(work.networks),
        "topics": list(work.topics),
        "on_shift": work.on_shift,
        "away": work.away,
    }


def _initial_password(typed: str) -> tuple[SecretStr, SecretStr | None]:
    """The password to hash, and the same again when it was generated (to show once)."""
    if typed:
        if not SHORTEST_PASSWORD <= len(typed) <= LONGEST_PASSWORD:
            raise ConfigurationError(
                "password",
                f"{SHORTEST_PASSWORD} to {LONGEST_PASSWORD} characters (or leave it empty to "
                "generate one)",
            )
        return SecretStr(typed), None
    generated = SecretStr(secrets.token_urlsafe(15))  # 20 characters, 120 bits
    return generated, generated
