"""One detector across roles, as real processes: a burst of webhook deliveries taken by
`inbox web` is counted in the database and opens one incident in `inbox worker`, whose
detector leads."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from pydantic import SecretStr

from connectors.webhooks.inbound_generic import signed_headers
from inbox.bootstrap import build_services
from inbox.domain.ingestion import IngestBatch
from inbox.domain.mention import Author, Mention
from inbox.domain.network import Network
from inbox.store.database import Database
from inbox.store.secret_box import SecretBox
from inbox.store.workspaces import PgWorkspaceStore
from tests.e2e.test_database_outages import free_port, inbox_process, until_health
from tests.e2e.worker_process import eventually, run_inbox, worker_env

pytestmark = pytest.mark.integration

# The burst's minute closes at the next minute; the detector evaluates once a minute.
OPENED_WITHIN_S = 240.0
QUIET_TEXTS = ("@acme my bill is wrong again, overcharged twice", "@acme the app logs me out")


def quiet_history(now: datetime) -> list[Mention]:
    """Two days of a complaint every twenty minutes: a baseline to stand out from."""
    at, mentions = now - timedelta(days=2), []
    while at < now - timedelta(minutes=20):
        number = len(mentions)
        who = f"regular{number % 40}"
        mentions.append(
            Mention(
                network=Network.X,
                external_id=f"history-{number}",
                author=Author(external_id=who, handle=who),
                text=QUIET_TEXTS[number % 2],
                created_at=at,
            )
        )
        at += timedelta(minutes=20)
    return mentions


async def test_a_burst_delivered_to_the_web_process_opens_one_incident_in_the_worker(
    db: Database, database_dsn: str, tmp_path: Path
) -> None:
    workspace_id = await PgWorkspaceStore(db).ensure_workspace("default", "default")
    history = quiet_history(datetime.now(UTC))
    await build_services(db).ingest(workspace_id, IngestBatch(history))
    env = worker_env(database_dsn, SecretBox.new_key())
    added = await run_inbox(env, "webhook-source", "add", "shop", "--kind", "generic")
    secret = re.search(r"signing secret \(shown once\): (\S+)", added)
    assert secret is not None
    web_port, worker_port = free_port(), free_port()
    web_url = f"http://127.0.0.1:{web_port}"

    async with (
        inbox_process({**env, "INBOX_PORT": str(web_port)}, "web", log=tmp_path / "web.log"),
        inbox_process(
            {**env, "INBOX_PORT": str(worker_port)}, "worker", log=tmp_path / "worker.log"
        ),
    ):
        await until_health(f"{web_url}/healthz", 200)
        worker = await until_health(
            f"http://127.0.0.1:{worker_port}/healthz", 200, naming={"incidents"}
        )
        assert worker["parts"]["incidents"]["detail"] == "leading"

        async with aiohttp.ClientSession() as session:
            for n in range(12):
                body = json.dumps(
                    {
                        "id": f"lyon-{n}",
                        "author": {"id": f"lyon-{n}", "handle": f"lyon{n}"},
                        "text": f"@acme no signal at all in Lyon, is the network down? ({n})",
                        "created_at": datetime.now(UTC).isoformat(),
                    }
                ).encode()
                headers = signed_headers(SecretStr(secret[1]), body, datetime.now(UTC))
                async with session.post(
                    f"{web_url}/api/v1/inbound/default/shop", data=body, headers=headers
                ) as answer:
                    assert answer.status == 200, await answer.text()

        async def opened() -> bool:
            return bool(await detector_incidents(db, workspace_id))

        await eventually(opened, "the worker's detector to open the incident", OPENED_WITHIN_S)
        incidents = await detector_incidents(db, workspace_id)
        assert len(incidents) == 1, "one burst, one incident"
        linked = await db.fetchval(
            "SELECT count(*) FROM incident_thread WHERE workspace_id = $1 AND incident_id = $2",
            workspace_id,
            incidents[0],
        )
        assert linked == 12


async def detector_incidents(db: Database, workspace_id: int) -> list[int]:
    rows = await db.fetch(
        "SELECT id FROM incident WHERE workspace_id = $1 AND source = 'detector'", workspace_id
    )
    return [row["id"] for row in rows]
