"""The audit trail in PostgreSQL: appended with the change it records, read back newest
first and per workspace, and its hash chain finds a removed or altered row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from inbox.domain.audit import AuditEntry, AuditFilter
from inbox.domain.errors import NotFoundError, PermissionDeniedError
from inbox.domain.people import Role
from inbox.domain.web import WebSession
from inbox.domain.workspace_settings import NewPerson, WorkProfile
from inbox.store.admin_people import PgPeopleAdmin, PgTeamAdmin
from inbox.store.audit import PgAuditTrail
from inbox.store.database import Database
from inbox.store.passwords import Argon2Passwords
from inbox.store.workspaces import PgWorkspaceStore
from inbox.usecases.admin_people import ManagePeople, WorkForm
from inbox.usecases.audit import AuditLog, AuditQuery, actor_of, entry_by
from inbox.usecases.tokens import Caller

pytestmark = pytest.mark.integration


async def _admin(db: Database, workspace_id: int, email: str = "ada@example.com") -> WebSession:
    agent_id = await PgPeopleAdmin(db).add(
        workspace_id, NewPerson(email, "Ada", frozenset({Role.ADMIN}), WorkProfile(), "not a hash")
    )
    return WebSession(workspace_id, agent_id, "Ada", frozenset({Role.ADMIN}), "c", address="::1")


def _people(db: Database) -> ManagePeople:
    return ManagePeople(PgPeopleAdmin(db), PgTeamAdmin(db), Argon2Passwords())


async def _fill(trail: PgAuditTrail, session: WebSession, count: int) -> None:
    for n in range(count):
        await trail.record(entry_by(session, "team_changed", "team", n, name=f"team {n}"))


async def test_a_role_change_is_recorded_with_its_before_and_after(
    db: Database, workspace_id: int
) -> None:
    admin = await _admin(db, workspace_id)
    people = _people(db)
    ana, _ = await people.add(admin, email="ana@example.com", roles=["agent"], work=_work())
    await people.save_roles(admin, ana, ["agent", "lead"])
    rows = await PgAuditTrail(db).page(workspace_id, AuditFilter(), before_id=None, size=10)
    assert [row.action for row in rows] == ["roles_changed", "person_added"]
    changed = rows[0]
    assert (changed.actor_id, changed.actor_name, changed.address) == (admin.agent_id, "Ada", "::1")
    assert (changed.object_kind, changed.object_id) == ("person", str(ana))
    assert changed.summary == {"before": ["agent"], "after": ["agent", "lead"]}
    assert rows[1].object_id == str(ana)  # the new person's id, known only inside the write


async def test_a_change_that_fails_leaves_no_audit_row(db: Database, workspace_id: int) -> None:
    admin = await _admin(db, workspace_id)
    people = _people(db)
    await people.add(admin, email="ana@example.com", roles=["agent"], work=_work())
    before = await PgAuditTrail(db).page(workspace_id, AuditFilter(), before_id=None, size=10)
    with pytest.raises(Exception, match="email"):
        await people.add(admin, email="ana@example.com", roles=["agent"], work=_work())
    with pytest.raises(NotFoundError):
        await people.set_active(admin, 999_999, active=False)
    after = await PgAuditTrail(db).page(workspace_id, AuditFilter(), before_id=None, size=10)
    assert after == before


async def test_a_password_reset_keeps_no_password_in_the_trail(
    db: Database, workspace_id: int
) -> None:
    admin = await _admin(db, workspace_id)
    people = _people(db)
    ana, _ = await people.add(admin, email="ana@example.com", roles=["agent"], work=_work())
    await people.reset_password(admin, ana, "a brand new long password")
    async with db.connection() as conn:
        stored = await conn.fetchval("SELECT string_agg(summary::text, ' ') FROM audit_entry")
    assert "a brand new long password" not in stored


async def test_the_chain_finds_a_deleted_row(db: Database, workspace_id: int) -> None:
    trail = PgAuditTrail(db)
    await _fill(trail, await _admin(db, workspace_id), 5)
    assert await trail.first_broken(workspace_id) is None
    rows = await trail.page(workspace_id, AuditFilter(), before_id=None, size=10)
    removed, following = rows[2], rows[1]
    async with db.connection() as conn:
        await conn.execute("DELETE FROM audit_entry WHERE id = $1", removed.entry_id)
    assert await trail.first_broken(workspace_id) == following.entry_id


async def test_the_chain_finds_an_altered_row(db: Database, workspace_id: int) -> None:
    trail = PgAuditTrail(db)
    await _fill(trail, await _admin(db, workspace_id), 3)
    rows = await trail.page(workspace_id, AuditFilter(), before_id=None, size=10)
    async with db.connection() as conn:
        await conn.execute(
            "UPDATE audit_entry SET actor_name = 'someone else' WHERE id = $1", rows[1].entry_id
        )
    assert await trail.first_broken(workspace_id) == rows[1].entry_id


async def test_chains_of_two_workspaces_are_apart(db: Database, workspace_id: int) -> None:
    other = await PgWorkspaceStore(db).ensure_workspace("other", "Other")
    trail = PgAuditTrail(db)
    await _fill(trail, await _admin(db, workspace_id), 2)
    await _fill(trail, await _admin(db, other, "bob@example.com"), 2)
    await _fill(trail, await _admin(db, workspace_id, "cy@example.com"), 1)
    assert await trail.first_broken(workspace_id) is None
    assert await trail.first_broken(other) is None


async def test_pages_go_back_in_time_without_gaps_or_repeats(
    db: Database, workspace_id: int
) -> None:
    trail = PgAuditTrail(db)
    admin = await _admin(db, workspace_id)
    await _fill(trail, admin, 7)
    log = AuditLog(trail)
    caller = Caller(workspace_id, 1, Role.ADMIN)
    seen: list[int] = []
    before = None
    while True:
        page = await log.read_for(caller, AuditQuery(), before=before, size=3)
        seen += [row.entry_id for row in page.rows]
        if page.next_before is None:
            break
        before = page.next_before
    assert len(seen) == 7
    assert seen == sorted(seen, reverse=True)


async def test_filters_by_person_action_and_days(db: Database, workspace_id: int) -> None:
    trail = PgAuditTrail(db)
    ada = await _admin(db, workspace_id)
    bob = await _admin(db, workspace_id, "bob@example.com")
    await _fill(trail, ada, 2)
    await trail.record(entry_by(bob, "routing_changed", "routing", 4))
    log = AuditLog(trail)
    by_bob = await log.read(ada, AuditQuery(person=str(bob.agent_id)))
    assert [row.action for row in by_bob.rows] == ["routing_changed"]
    teams = await log.read(ada, AuditQuery(action="team_changed"))
    assert {row.actor_id for row in teams.rows} == {ada.agent_id}
    today = datetime.now(UTC).date()
    since_today = await log.read(ada, AuditQuery(since=str(today)))
    assert len(since_today.rows) == 3
    yesterday = str(today - timedelta(days=1))
    assert (await log.read(ada, AuditQuery(until=yesterday))).rows == []


async def test_only_admins_read_the_trail(db: Database, workspace_id: int) -> None:
    admin = await _admin(db, workspace_id)
    lead = WebSession(workspace_id, admin.agent_id, "Lea", frozenset({Role.LEAD}), "c")
    with pytest.raises(PermissionDeniedError):
        await AuditLog(PgAuditTrail(db)).read(lead, AuditQuery())
    with pytest.raises(PermissionDeniedError):
        await AuditLog(PgAuditTrail(db)).read_for(Caller(workspace_id, 1, Role.LEAD), AuditQuery())


async def test_the_command_line_is_recorded_as_the_actor(db: Database, workspace_id: int) -> None:
    log = AuditLog(PgAuditTrail(db))
    await log.record_command(workspace_id, "token_created", "token", None, name="crm", role="lead")
    rows = await PgAuditTrail(db).page(workspace_id, AuditFilter(), before_id=None, size=1)
    assert (rows[0].actor_kind.value, rows[0].actor_id, rows[0].actor_name) == (
        "command_line",
        None,
        "command line",
    )
    assert rows[0].summary == {"name": "crm", "role": "lead"}


def test_an_actor_is_the_session_person_with_their_address() -> None:
    session = WebSession(1, 7, "Ada", frozenset({Role.ADMIN}), "c", address="10.0.0.1")
    actor = actor_of(session)
    assert (actor.actor_id, actor.name, actor.address) == (7, "Ada", "10.0.0.1")
    assert isinstance(entry_by(session, "x", "y", 3), AuditEntry)


def _work() -> WorkForm:
    return WorkForm(name="Ana")
