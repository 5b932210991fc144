"""Teams and what routing sends them: topics (skills), languages, networks, VIP customers."""

from __future__ import annotations

from dataclasses import dataclass

from inbox.domain.errors import ConfigurationError, NotFoundError
from inbox.domain.web import WebSession
from inbox.domain.workspace_settings import (
    TeamProfile,
    checked_languages,
    checked_name,
    checked_networks,
    checked_topics,
    split_list,
)
from inbox.ports.audit import AuditTrail
from inbox.ports.people import TeamAdminStore
from inbox.usecases.admin_access import Section, require_section
from inbox.usecases.audit import entry_by

LONGEST_TEAM_NAME = 60


@dataclass(frozen=True, slots=True)
class TeamForm:
    name: str
    topics: str = ""
    languages: str = ""
    networks: tuple[str, ...] = ()
    vip: bool = False


class ManageTeams:
    def __init__(self, store: TeamAdminStore, audit: AuditTrail) -> None:
        self._store = store
        self._audit = audit

    async def all(self, session: WebSession) -> list[TeamProfile]:
        require_section(session, Section.TEAMS)
        return await self._store.teams(session.workspace_id)

    async def create(self, session: WebSession, form: TeamForm) -> int:
        require_section(session, Section.TEAMS)
        team = await self._checked(session, 0, form)
        team_id = await self._store.create(session.workspace_id, team)
        await self._audit.record(
            entry_by(session, "team_created", "team", team_id, **_summary(team))
        )
        return team_id

    async def save(self, session: WebSession, team_id: int, form: TeamForm) -> None:
        require_section(session, Section.TEAMS)
        team = await self._checked(session, team_id, form)
        if not await self._store.save(session.workspace_id, team):
            raise NotFoundError("team", team_id)
        await self._audit.record(
            entry_by(session, "team_changed", "team", team_id, **_summary(team))
        )

    async def _checked(self, session: WebSession, team_id: int, form: TeamForm) -> TeamProfile:
        name = checked_name(form.name, "name", LONGEST_TEAM_NAME)
        # "Care" and "care" would read as one team in every list and rule.
        for other in await self._store.teams(session.workspace_id):
            if other.team_id != team_id and other.name.casefold() == name.casefold():
                raise ConfigurationError("name", f"a team is named {other.name!r} already")
        return TeamProfile(
            team_id=team_id,
            name=name,
            topics=checked_topics(split_list(form.topics)),
            languages=checked_languages(split_list(form.languages)),
            networks=checked_networks(form.networks),
            vip=form.vip,
        )


def _summary(team: TeamProfile) -> dict[str, object]:
    return {
        "name": team.name,
        "topics": list(team.topics),
        "languages": list(team.languages),
        "networks": list(team.networks),
        "vip": team.vip,
    }
