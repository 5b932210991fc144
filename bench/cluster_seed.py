"""The chaos run's workspace, as it stands before the processes start: the brand's account on
each fake network, SLA targets of a minute (the SLA timer fires all through the run), two days
of quiet complaints (the outage detector's baseline), an agent and an API token acting for
them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pydantic import SecretStr

from bench.cluster_processes import Databases
from bench.cluster_world import FakeWorld
from inbox.bootstrap import build_services
from inbox.domain.ingestion import IngestBatch
from inbox.domain.mention import Author, Mention
from inbox.domain.network import Network
from inbox.domain.people import Role
from inbox.store.credentials import PgCredentialStore
from inbox.store.database import Database
from inbox.store.people import PgPeopleStore
from inbox.store.secret_box import SecretBox
from inbox.store.workspaces import PgWorkspaceStore

AGENT = "agent@chaos.example"
WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALWAYS_OPEN: dict[str, object] = {
    "tz": "UTC",
    "weekly": {day: [["00:00", "24:00"]] for day in WEEK},
}
# Warnings at 30 s and breaches at a minute: the SLA timer fires during the run, through the
# kills of the worker that leads it.
MINUTE_TARGETS: dict[str, object] = {
    "policies": {
        "fast": {
            "name": "fast",
            "calendar": "always",
            "targets": {"first_response": 1, "next_response": 1},
            "warn_at": 0.5,
        }
    },
    "default": "fast",
}


def quiet_history(now: datetime) -> list[Mention]:
    """Two days of a complaint every twenty minutes: the detector's baseline to stand out
    from (on X, with ids the fake never served)."""
    texts = ("@acme my bill is wrong again, overcharged twice", "@acme the app logs me out")
    at, mentions = now - timedelta(days=2), list[Mention]()
    while at < now - timedelta(minutes=20):
        number = len(mentions)
        who = f"regular{number % 40}"
        mentions.append(
            Mention(
                network=Network.X,
                external_id=f"history-{number}",
                author=Author(external_id=who, handle=who),
                text=texts[number % 2],
                created_at=at,
            )
        )
        at += timedelta(minutes=20)
    return mentions


async def seed(dbs: Databases, world: FakeWorld, key: str) -> str:
    """The workspace, the brand's three accounts, SLA targets of a minute, the detector's
    baseline, an agent and an API token acting for them (returned)."""
    db = await Database.connect(dbs.primary_dsn(), size=2)
    try:
        workspaces = PgWorkspaceStore(db)
        workspace_id = await workspaces.ensure_workspace("default", "default")
        credentials = PgCredentialStore(db, SecretBox(SecretStr(key)))
        for network, external_id, handle, settings, secrets in world.accounts():
            account_id = await workspaces.configure_account(
                workspace_id, network, external_id, handle, settings
            )
            await credentials.replace(workspace_id, account_id, secrets)
        services = build_services(db)
        await services.sla_settings(workspace_id, {"always": ALWAYS_OPEN}, MINUTE_TARGETS)
        await services.ingest(workspace_id, IngestBatch(quiet_history(datetime.now(UTC))))
        await PgPeopleStore(db).save_agent(workspace_id, AGENT, "Chaos Agent", [Role.AGENT], [])
        return await services.tokens.issue(workspace_id, "agents", Role.AGENT, AGENT)
    finally:
        await db.close()
