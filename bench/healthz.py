"""How fast `/healthz` answers while the server reads long texts and checks passwords.

    python bench/healthz.py [--senders 4] [--deliveries 2] [--logins 40] [--rest-seconds 4]

`inbox serve` runs as a process of its own (so that this client does not share its
interpreter) on a throwaway embedded PostgreSQL, or on --database-url. Probes ask for
`/healthz` every 20 ms, each timed from the moment it was due, through three phases:

1. at rest, for --rest-seconds: the baseline;
2. a burst of long texts: --senders senders at once, each posting --deliveries signed generic
   webhook deliveries of 50 messages of 20,000 characters (the format's limits), written from
   the project's labelled messages, in no tagged language (each is detected);
3. a burst of logins: --logins at once, half with the right password and half with a wrong
   one, each e-mail tried once of each (so that every attempt has its password checked).

It prints each phase's p50, p99 and slowest probe, the probes not answered 200, and last the
p99 of each burst against the p99 at rest, one figure a line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from pydantic import SecretStr

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from connectors.common.egress import CheckedDestinations
from connectors.webhooks.inbound_generic import signed_headers
from inbox.bootstrap import build_services
from inbox.domain.egress import PUBLIC_ONLY
from inbox.domain.people import Role
from inbox.store.database import Database
from inbox.store.embedded import EmbeddedPostgres
from inbox.store.inbound_webhooks import PgInboundSourceStore
from inbox.store.migrate import migrate
from inbox.store.people import PgPeopleStore
from inbox.store.secret_box import SecretBox
from inbox.store.workspaces import PgWorkspaceStore
from inbox.usecases.inbound_webhooks import ManageWebhookSources

ROOT = Path(__file__).resolve().parent.parent
LABELLED = ROOT / "tests" / "data" / "brand_messages.jsonl"
BODY_LIMIT = 1024 * 1024  # bytes the inbound endpoint accepts
MESSAGES_PER_DELIVERY = 50
TEXT_CHARACTERS = 20_000
PROBE_EVERY = 0.02  # seconds between two probes
LOGIN_WORDS = "a benchmark passphrase"


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(share * len(ordered)), len(ordered) - 1)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def database_url(given: str | None, folder: Path) -> AsyncIterator[str]:
    if given:
        yield given
        return
    server = EmbeddedPostgres(folder / "postgres", delete_on_stop=True)
    dsn = await asyncio.to_thread(server.start)
    try:
        yield dsn
    finally:
        await asyncio.to_thread(server.stop)


async def seed(dsn: str, slug: str, key: str, agents: int) -> SecretStr:
    """The workspace, its agents with a password each, and a generic source; its secret."""
    db = await Database.connect(dsn, size=2)
    try:
        async with db.connection() as conn:
            await migrate(conn)
        workspace_id = await PgWorkspaceStore(db).ensure_workspace(slug, slug)
        people = PgPeopleStore(db)
        logins = build_services(db).web_logins
        for n in range(agents):
            email = f"agent{n}@bench.example"
            await people.save_agent(workspace_id, email, f"Agent {n}", [Role.AGENT], [])
            await logins.set_password(workspace_id, email, SecretStr(LOGIN_WORDS))
        store = PgInboundSourceStore(db, SecretBox(SecretStr(key)))
        # A generic source receives only: no address of its own for the egress check to see.
        sources = ManageWebhookSources(store, CheckedDestinations(PUBLIC_ONLY))
        _, secret = await sources.add_generic(workspace_id, "shop")
        return secret
    finally:
        await db.close()


@asynccontextmanager
async def serving(dsn: str, slug: str, key: str, folder: Path) -> AsyncIterator[str]:
    """`inbox serve` on a free port; its errors go to a file, shown if it does not start."""
    port = free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": dsn,
        "INBOX_WORKSPACE": slug,
        "INBOX_SECRET_KEY": key,
        "INBOX_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    errors = folder / "serve.log"
    with errors.open("wb") as log_file:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            *("-m", "inbox.cli", "serve", "--host", "127.0.0.1", "--port", str(port)),
            cwd=ROOT,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=log_file,
        )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), timeout=120)
        if b"inbox serving on" not in line:
            tail = errors.read_text(encoding="utf-8", errors="replace")[-2000:]
            raise RuntimeError(f"inbox serve did not start:\n{tail}")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), timeout=30)
        except TimeoutError:
            process.kill()
            await process.wait()


@dataclass
class Probes:
    latencies: list[float] = field(default_factory=list)  # ms, answered or not
    failures: int = 0  # answers other than 200, and dropped connections


async def probe_during(
    session: aiohttp.ClientSession, base: str, work: Awaitable[object]
) -> Probes:
    """`/healthz` asked every 20 ms until `work` is done, each probe timed from the moment it
    was due: a server that stops answering for a second shows as fifty slow probes, not one
    (probes that waited for the one before would hide it)."""
    probes = Probes()

    async def probe() -> None:
        due = time.perf_counter()
        try:
            async with session.get(f"{base}/healthz") as answer:
                await answer.read()
                probes.failures += answer.status != 200
        except aiohttp.ClientError:
            probes.failures += 1
        probes.latencies.append(1000 * (time.perf_counter() - due))

    task = asyncio.ensure_future(work)
    sent = []
    while not task.done():
        sent.append(asyncio.create_task(probe()))
        await asyncio.wait({task}, timeout=PROBE_EVERY)
    await asyncio.gather(task, *sent)
    return probes


def long_texts(count: int, rng: random.Random) -> list[str]:
    """`count` texts of up to 20,000 characters, as long as a delivery of them all fits in
    the body limit (accented letters take two bytes)."""
    rows = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines()]
    messages = [row["text"] for row in rows if isinstance(row.get("text"), str)]
    texts = []
    room = (BODY_LIMIT - 200 * count) // count  # bytes a text may take beside its fields
    for _ in range(count):
        parts: list[str] = []
        while sum(len(p) + 1 for p in parts) < TEXT_CHARACTERS:
            parts.append(rng.choice(messages))
        text = " ".join(parts)[:TEXT_CHARACTERS]
        while len(json.dumps(text, ensure_ascii=False).encode()) > room:
            text = text[:-100]
        texts.append(text)
    return texts


async def send_texts(
    session: aiohttp.ClientSession,
    url: str,
    secret: SecretStr,
    sender: int,
    deliveries: int,
    texts: Sequence[str],
) -> list[int]:
    """The answers' statuses."""
    statuses = []
    for delivery in range(deliveries):
        body = json.dumps(
            [
                {
                    "id": f"s{sender}-d{delivery}-m{n}",
                    "author": {"id": f"customer-{sender}-{n}"},
                    "text": text,
                    "created_at": datetime.now(UTC).isoformat(),
                }
                for n, text in enumerate(texts)
            ],
            ensure_ascii=False,
        ).encode()
        async with session.post(
            url, data=body, headers=signed_headers(secret, body, datetime.now(UTC))
        ) as answer:
            statuses.append(answer.status)
    return statuses


async def log_in_all(session: aiohttp.ClientSession, base: str, logins: int) -> list[int]:
    async def one(n: int) -> int:
        right = n % 2 == 0
        form = {
            "email": f"agent{n // 2}@bench.example",
            "password": LOGIN_WORDS if right else "not the passphrase",
        }
        async with (
            aiohttp.ClientSession() as browser,  # a cookie jar of its own
            browser.post(f"{base}/login", data=form, allow_redirects=False) as answer,
        ):
            return answer.status

    return list(await asyncio.gather(*(one(n) for n in range(logins))))


def summary(name: str, probes: Probes) -> tuple[float, float]:
    """p50 and p99, after a line with the rest."""
    latencies = probes.latencies
    p50, p99 = statistics.median(latencies), percentile(latencies, 0.99)
    print(
        f"{name}: {len(latencies)} probes, {probes.failures} failed, p50 {p50:.1f} ms, "
        f"p99 {p99:.1f} ms, slowest {max(latencies):.1f} ms"
    )
    return p50, p99


def counted(statuses: Sequence[int]) -> str:
    return ", ".join(f"{statuses.count(s)} x {s}" for s in sorted(set(statuses)))


async def main(args: argparse.Namespace) -> None:
    slug = f"bench-healthz-{time.time_ns()}"
    key = SecretBox.new_key()
    texts = long_texts(MESSAGES_PER_DELIVERY, random.Random(13))
    delivered: list[int] = []
    logged_in: list[int] = []

    async def text_burst(session: aiohttp.ClientSession, url: str, secret: SecretStr) -> None:
        senders = (
            send_texts(session, url, secret, sender, args.deliveries, texts)
            for sender in range(args.senders)
        )
        for statuses in await asyncio.gather(*senders):
            delivered.extend(statuses)

    async def login_burst(session: aiohttp.ClientSession, base: str) -> None:
        logged_in.extend(await log_in_all(session, base, args.logins))

    with tempfile.TemporaryDirectory(prefix="inbox-bench-") as folder:
        async with database_url(args.database_url, Path(folder)) as dsn:
            secret = await seed(dsn, slug, key, (args.logins + 1) // 2)
            async with (
                serving(dsn, slug, key, Path(folder)) as base,
                aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session,
            ):
                await probe_during(session, base, asyncio.sleep(1))  # warm up
                rest = await probe_during(session, base, asyncio.sleep(args.rest_seconds))
                started = time.perf_counter()
                url = f"{base}/api/v1/inbound/{slug}/shop"
                during_texts = await probe_during(session, base, text_burst(session, url, secret))
                texts_seconds = time.perf_counter() - started
                started = time.perf_counter()
                during_logins = await probe_during(session, base, login_burst(session, base))
                logins_seconds = time.perf_counter() - started
    print(
        f"{len(delivered)} deliveries of {MESSAGES_PER_DELIVERY} x {TEXT_CHARACTERS} "
        f"characters in {texts_seconds:.1f} s ({counted(delivered)}); "
        f"{len(logged_in)} logins in {logins_seconds:.1f} s ({counted(logged_in)})"
    )
    phases = {"rest": rest, "texts": during_texts, "logins": during_logins}
    figures = {name: summary(name, probes) for name, probes in phases.items()}
    for name, (p50, p99) in figures.items():
        print(f"healthz_{name}_p50_ms: {p50:.1f}")
        print(f"healthz_{name}_p99_ms: {p99:.1f}")
    print(f"healthz_failed_probes: {sum(probes.failures for probes in phases.values())}")
    rest_p99 = figures["rest"][1]
    print(f"healthz_texts_p99_ratio: {figures['texts'][1] / rest_p99:.1f}")
    print(f"healthz_logins_p99_ratio: {figures['logins'][1] / rest_p99:.1f}")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--senders", type=int, default=4, help="concurrent webhook senders")
    parser.add_argument("--deliveries", type=int, default=2, help="deliveries per sender")
    parser.add_argument("--logins", type=int, default=40, help="concurrent logins")
    parser.add_argument("--rest-seconds", type=float, default=4.0)
    parser.add_argument("--database-url", help="a PostgreSQL server to use instead")
    arguments = parser.parse_args(argv)
    if min(arguments.senders, arguments.deliveries, arguments.logins) < 1:
        parser.error("every count must be at least 1")
    if arguments.rest_seconds <= 0:
        parser.error("--rest-seconds must be positive")
    return arguments


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
