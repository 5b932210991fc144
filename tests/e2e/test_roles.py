"""`inbox web` and `inbox worker` as real processes on one database: they start together and
migrate once; the web process takes deliveries and runs no connector, no outbox and no timer;
the worker does those and answers only /healthz and /metrics."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from pydantic import SecretStr

from connectors.mastodon.fake import FakeMastodon, FakeMastodonServer
from connectors.webhooks.inbound_generic import signed_headers
from inbox.domain.ingestion import IngestBatch
from inbox.domain.mention import Author, Mention
from inbox.domain.network import Network
from inbox.domain.outbox import OutboxKind
from inbox.store.credentials import PgCredentialStore
from inbox.store.database import Database
from inbox.store.ingest import PgIngestStore
from inbox.store.migrate import available_migrations
from inbox.store.outbox import PgOutboxStore
from inbox.store.secret_box import SecretBox
from inbox.store.workspaces import PgWorkspaceStore
from inbox.usecases.ingest import IngestMentions
from tests.e2e.test_database_outages import INBOX, free_port, inbox_process, until_health
from tests.e2e.worker_process import eventually, run_inbox, until_sent, worker_env
from tests.factories import allowed_hosts

pytestmark = pytest.mark.integration

TOKEN = "brand-token"
# What only a worker runs, as its /healthz names them.
WORKER_PARTS = {"timer", "outbox", "webhooks", "incidents"}


def on_port(env: dict[str, str], port: int) -> dict[str, str]:
    return {**env, "INBOX_PORT": str(port)}


async def answer_status(url: str) -> int:
    async with aiohttp.ClientSession() as session, session.get(url) as answer:
        return answer.status


async def test_a_web_and_a_worker_started_together_on_an_empty_database_migrate_it_once(
    db: Database, database_dsn: str, tmp_path: Path
) -> None:
    async with db.connection() as conn:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    env = worker_env(database_dsn, SecretBox.new_key())
    web_port, worker_port = free_port(), free_port()
    async with (
        inbox_process(on_port(env, web_port), "web", log=tmp_path / "web.log"),
        inbox_process(on_port(env, worker_port), "worker", log=tmp_path / "worker.log"),
    ):
        web_health = await until_health(f"http://127.0.0.1:{web_port}/healthz", 200)
        worker_url = f"http://127.0.0.1:{worker_port}"
        worker_health = await until_health(f"{worker_url}/healthz", 200, naming=WORKER_PARTS)
        async with db.connection() as conn:
            rows = await conn.fetch("SELECT version FROM schema_migration ORDER BY version")
        applied = [int(row["version"]) for row in rows]
        assert applied == [migration.version for migration in available_migrations()]

        assert not WORKER_PARTS & set(web_health["parts"])
        assert worker_health["parts"]["timer"]["detail"] == "leading"
        # The worker's port is for its supervisor: no pages, no API; /metrics asks for a token.
        assert await answer_status(f"{worker_url}/login") == 404
        assert await answer_status(f"{worker_url}/api/v1/threads") == 404
        assert await answer_status(f"{worker_url}/metrics") == 401
        token = (
            await run_inbox(env, "token", "create", "--name", "probe", "--role", "ops")
        ).strip()
        async with (
            aiohttp.ClientSession() as session,
            session.get(
                f"{worker_url}/metrics", headers={"Authorization": f"Bearer {token}"}
            ) as answer,
        ):
            assert answer.status == 200
            assert "# TYPE" in await answer.text()


async def test_the_web_process_stores_deliveries_and_only_the_worker_polls_and_sends(
    db: Database, database_dsn: str, tmp_path: Path
) -> None:
    fake = FakeMastodon()
    brand = fake.add_account("acme", "Acme", token=TOKEN)
    customer = fake.add_account("ann", domain="other.example")
    earlier = fake.post(customer, "@acme my fibre is down")
    key = SecretBox.new_key()
    async with FakeMastodonServer(fake) as server:
        workspaces = PgWorkspaceStore(db)
        workspace_id = await workspaces.ensure_workspace("default", "default")
        account_id = await workspaces.configure_account(
            workspace_id, Network.MASTODON, brand, "acme",
            {"instance": server.url, "poll_seconds": 1},
        )  # fmt: skip
        await PgCredentialStore(db, SecretBox(SecretStr(key))).replace(
            workspace_id, account_id, {"access_token": SecretStr(TOKEN)}
        )
        # A thread the agents already answered: its reply waits in the outbox.
        await IngestMentions(PgIngestStore(db))(
            workspace_id,
            IngestBatch(
                [
                    Mention(
                        network=Network.MASTODON,
                        external_id=earlier,
                        author=Author(external_id=customer, handle="ann@other.example"),
                        text="@acme my fibre is down",
                        created_at=datetime.now(UTC),
                    )
                ]
            ),
        )
        thread_id = int(
            await db.fetchval("SELECT id FROM thread WHERE workspace_id = $1", workspace_id)
        )
        outbox = PgOutboxStore(db)
        reply = await outbox.enqueue(workspace_id, thread_id, OutboxKind.REPLY, "r1", "DM us")
        fake.post(customer, "@acme still down")  # for a connector to find

        env = worker_env(database_dsn, key, INBOX_ALLOWED_INTERNAL_HOSTS=allowed_hosts(server.url))
        added = await run_inbox(env, "webhook-source", "add", "shop", "--kind", "generic")
        found = re.search(r"signing secret \(shown once\): (\S+)", added)
        assert found is not None
        web_port, worker_port = free_port(), free_port()
        web_url = f"http://127.0.0.1:{web_port}"

        async with inbox_process(on_port(env, web_port), "web", log=tmp_path / "web.log"):
            web_health = await until_health(f"{web_url}/healthz", 200)
            body = json.dumps(
                {
                    "id": "order-1",
                    "author": {"id": "c-1", "handle": "jane"},
                    "text": "My order never arrived",
                    "created_at": datetime.now(UTC).isoformat(),
                }
            ).encode()
            headers = signed_headers(SecretStr(found[1]), body, datetime.now(UTC))
            async with (
                aiohttp.ClientSession() as session,
                session.post(
                    f"{web_url}/api/v1/inbound/default/shop", data=body, headers=headers
                ) as answer,
            ):
                assert answer.status == 200, await answer.text()
                assert (await answer.json())["added"] == 1
            assert await _mention_stored(db, "My order never arrived")

            # The web process has been up all along: it ran nothing of a worker's.
            assert fake.requests == {}
            assert not WORKER_PARTS & set(web_health["parts"])
            assert not any(part.startswith("mastodon:") for part in web_health["parts"])
            waiting = await outbox.get(workspace_id, reply.id)
            assert waiting is not None
            assert waiting.status.value == "pending"

            worker = inbox_process(on_port(env, worker_port), "worker", log=tmp_path / "w.log")
            async with worker:
                await until_sent(outbox, workspace_id, reply.id, "the worker to send the reply")

                async def polled() -> bool:
                    return await _mention_stored(db, "still down")

                await eventually(polled, "the worker to poll the connected account")
                worker_health = await until_health(
                    f"http://127.0.0.1:{worker_port}/healthz", 200, naming={"timer"}
                )
                assert worker_health["parts"]["timer"]["detail"] == "leading"
                assert f"mastodon:{account_id}" in worker_health["parts"]

    (posted,) = fake.posted
    assert posted.text == "@ann@other.example DM us"


@pytest.mark.parametrize("role", ["serve", "web", "worker"])
async def test_a_process_on_an_external_database_without_a_lasting_key_refuses_to_start(
    role: str, tmp_path: Path
) -> None:
    env = worker_env(f"postgresql://inbox:s3cret@127.0.0.1:{free_port()}/inbox", "unused")
    del env["INBOX_SECRET_KEY"]
    process = await asyncio.create_subprocess_exec(
        *INBOX, role, env=env, cwd=tmp_path, stderr=asyncio.subprocess.PIPE
    )
    _, err = await process.communicate()
    assert process.returncode == 2
    assert "set INBOX_SECRET_KEY or INBOX_SECRET_KEY_FILE" in err.decode()
    assert "s3cret" not in err.decode()


async def _mention_stored(db: Database, words: str) -> bool:
    count = await db.fetchval("SELECT count(*) FROM mention WHERE strpos(body, $1) > 0", words)
    return int(count) == 1
