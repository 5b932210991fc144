"""PostgreSQL restarted under `inbox serve`: how long until the process serves again.

    python bench/restart.py [--restarts 3] [--settle 35] [--live-deadline 20]

Starts `inbox serve` on its embedded database in a temporary folder, logs an agent in and
keeps a page listening on `/events`, then restarts PostgreSQL `--restarts` times: a fast
shutdown, then a start. Each time, from the instant the server is launched again:

- baseline, `postgres_accepts_s`: until PostgreSQL accepts a new connection of the
  benchmark's own (the database is back);
- `healthz_after_database_s`: from the database being back until `/healthz` answers 200
  (every part of the process well again);
- `live_after_database_s`: from the database being back until the page on `/events` is
  told of a mention ingested then (a signed webhook delivery, sent again until it is
  accepted): its `change`, or the `resync` the listener sends once back if the mention's
  own notification went while it was away (each restart's line says which); `none` when
  neither arrives within `--live-deadline` seconds.

Between restarts the process runs `--settle` seconds, longer than the longest backoff of its
parts, so that each restart finds it settled. The figures are medians over the restarts,
and the process's time to health over PostgreSQL's own time to accept connections; they are
printed last, one a line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import asyncpg
from pydantic import SecretStr

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.postgres_control import PostgresControl
from connectors.webhooks.inbound_generic import signed_headers
from inbox.store.secret_box import SecretBox

INBOX = [sys.executable, "-m", "inbox.cli"]
AGENT = "bench@example.com"
LOGIN_WORDS = "restart bench login words"
START_DEADLINE_S = 120.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def inbox(env: dict[str, str], *args: str, stdin: str = "") -> str:
    process = await asyncio.create_subprocess_exec(
        *INBOX, *args, env=env, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate(stdin.encode())
    if process.returncode != 0:
        raise SystemExit(f"inbox {' '.join(args)} failed: {err.decode()[-2000:]}")
    return out.decode()


class Page:
    """A logged-in page listening on `/events`, reopened if the stream ends. It notes when it
    hears a `change` and a `resync` (reload the view: sent when the listener is back)."""

    def __init__(self, base: str, session: aiohttp.ClientSession) -> None:
        self._base = base
        self._session = session
        self.heard: asyncio.Queue[tuple[float, str]] = asyncio.Queue()
        self.listening = asyncio.Event()
        self._task = asyncio.create_task(self._listen())

    async def _listen(self) -> None:
        timeout = aiohttp.ClientTimeout(total=None, sock_read=None)
        while True:
            try:
                async with self._session.get(f"{self._base}/events", timeout=timeout) as stream:
                    async for line in stream.content:
                        self.listening.set()  # the stream opens with its retry line
                        for kind in ("change", "resync"):
                            if line.startswith(f"event: {kind}".encode()):
                                self.heard.put_nowait((time.perf_counter(), kind))
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(0.1)

    def clear(self) -> None:
        while not self.heard.empty():
            self.heard.get_nowait()

    async def close(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


async def healthy(session: aiohttp.ClientSession, base: str) -> bool:
    try:
        async with session.get(f"{base}/healthz", timeout=aiohttp.ClientTimeout(total=5)) as r:
            return r.status == 200
    except (aiohttp.ClientError, TimeoutError):
        return False


async def until_healthy(session: aiohttp.ClientSession, base: str) -> float:
    deadline = time.perf_counter() + START_DEADLINE_S
    while not await healthy(session, base):
        if time.perf_counter() > deadline:
            raise SystemExit("inbox serve did not become healthy")
        await asyncio.sleep(0.01)
    return time.perf_counter()


async def until_accepted(dsn: str) -> float:
    deadline = time.perf_counter() + START_DEADLINE_S
    while True:
        try:
            conn = await asyncpg.connect(dsn, timeout=2)
        except (OSError, asyncpg.PostgresError):
            if time.perf_counter() > deadline:
                raise
            await asyncio.sleep(0.005)
            continue
        await conn.close()
        return time.perf_counter()


async def deliver(
    session: aiohttp.ClientSession, url: str, secret: SecretStr, number: int
) -> float:
    """One new mention through a signed webhook, sent again until it is accepted; the
    instant of the answer that accepted it."""
    body = json.dumps(
        {
            "id": f"restart-{number}",
            "author": {"id": f"customer-{number}", "handle": f"customer{number}"},
            "text": "still no signal since the maintenance",
            "created_at": datetime.now(UTC).isoformat(),
        }
    ).encode()
    while True:
        headers = signed_headers(secret, body, datetime.now(UTC))
        try:
            async with session.post(url, data=body, headers=headers) as answer:
                if answer.status == 200:
                    return time.perf_counter()
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.01)


async def live_after(
    page: Page, delivering: asyncio.Task[float], deadline_s: float
) -> tuple[float, str] | None:
    """When, and by which event, the page was told of the new mention: its `change` (which
    may come before the delivery's answer), or a `resync` heard after the delivery was
    accepted (the page reloads its view, the mention in it; what the listener sends once
    back, when the mention's own notification went while it was away). None past the
    deadline."""
    accepted_at = await delivering
    give_up = time.perf_counter() + deadline_s
    while True:
        try:
            at, kind = await asyncio.wait_for(page.heard.get(), give_up - time.perf_counter())
        except TimeoutError:
            return None
        if kind == "change" or at >= accepted_at:
            return at, kind


async def main(args: argparse.Namespace) -> None:
    folder = Path(tempfile.mkdtemp(prefix="inbox-restart-bench-"))
    data_dir = folder / "postgres"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("INBOX_")}
    env.pop("DATABASE_URL", None)
    env.update(
        INBOX_DATA_DIR=str(data_dir), INBOX_PORT=str(port), INBOX_SECRET_KEY=SecretBox.new_key()
    )
    agent = ("agent", "add", AGENT, "--name", "Bench", "--password-stdin")
    await inbox(env, *agent, stdin=LOGIN_WORDS)
    added = await inbox(env, "webhook-source", "add", "bench", "--kind", "generic")
    found = re.search(r"signing secret \(shown once\): (\S+)", added)
    assert found is not None, added
    secret = SecretStr(found[1])
    log = (folder / "serve.log").open("wb")
    serve = await asyncio.create_subprocess_exec(
        *INBOX, "serve", env=env, stdout=asyncio.subprocess.DEVNULL, stderr=log
    )
    accepts: list[float] = []
    healthz: list[float] = []
    live: list[float | None] = []
    jar = aiohttp.CookieJar(unsafe=True)
    try:
        async with aiohttp.ClientSession(cookie_jar=jar) as session:
            await until_healthy(session, base)
            form = {"email": AGENT, "password": LOGIN_WORDS}
            async with session.post(f"{base}/login", data=form, allow_redirects=False) as answer:
                assert answer.status == 303, await answer.text()
            page = Page(base, session)
            control = PostgresControl(data_dir)
            dsn = control.dsn("inbox")
            inbound = f"{base}/api/v1/inbound/default/bench"
            try:
                # The page hears a change at all, before any restart: else `none` below
                # would say nothing of the restarts.
                await asyncio.wait_for(page.listening.wait(), START_DEADLINE_S)
                sent_at = time.perf_counter()
                seen = await live_after(
                    page, asyncio.create_task(deliver(session, inbound, secret, 0)), 30.0
                )
                if seen is None:
                    raise SystemExit("the page heard no change even before any restart")
                print(f"before any restart: a live update {seen[0] - sent_at:.2f} s after sending")
                for number in range(1, args.restarts + 1):
                    await asyncio.sleep(args.settle)
                    await until_healthy(session, base)
                    await asyncio.to_thread(control.stop)
                    launched = time.perf_counter()
                    await asyncio.to_thread(control.start, wait=False)
                    back = await until_accepted(dsn)
                    page.clear()
                    delivering = asyncio.create_task(deliver(session, inbound, secret, number))
                    seen, healthy_at = await asyncio.gather(
                        live_after(page, delivering, args.live_deadline),
                        until_healthy(session, base),
                    )
                    accepts.append(back - launched)
                    healthz.append(healthy_at - back)
                    live.append(None if seen is None else seen[0] - back)
                    shown = "none" if seen is None else f"{seen[0] - back:.2f} s ({seen[1]})"
                    print(
                        f"restart {number}: postgres accepted after {back - launched:.2f} s; "
                        f"then /healthz 200 after {healthy_at - back:.2f} s, "
                        f"a live update after {shown}",
                        flush=True,
                    )
            finally:
                await page.close()
    finally:
        if serve.returncode is None:
            serve.terminate()
            await serve.wait()  # it stops the embedded server it started
        log.close()
        shutil.rmtree(folder, ignore_errors=True)
    arrived = [value for value in live if value is not None]
    accepted = statistics.median(accepts)
    to_health = statistics.median(healthz)
    print(f"postgres_accepts_s: {accepted:.2f}")
    print(f"healthz_after_database_s: {to_health:.2f}")
    print(
        "live_after_database_s: "
        + (f"{statistics.median(arrived):.2f}" if len(arrived) == len(live) else "none")
    )
    print(f"healthz_to_postgres_ratio: {to_health / accepted:.2f}")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--restarts", type=int, default=3)
    parser.add_argument(
        "--settle", type=float, default=35.0, help="seconds of calm before each restart"
    )
    parser.add_argument("--live-deadline", type=float, default=20.0)
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
