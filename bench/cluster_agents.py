"""Agents of the chaos run: they reply through the JSON API, with an agent's token, to threads
opened during the run, each reply under its own idempotency key and with a marker (`(ref r-4)`)
the fakes' post logs are searched for; a reply whose web process died under it is sent again,
with the same key, to a web process (the other one, sooner or later)."""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from dataclasses import dataclass, field
from datetime import datetime

import aiohttp

from bench.cluster_processes import InboxCluster, Slot


@dataclass
class Replies:
    """Agents replying through the API, each reply under its own key until it is accepted."""

    token: str
    since: datetime  # threads opened before (the detector's baseline) are not answered
    accepted: list[str] = field(default_factory=list)
    replied_threads: set[int] = field(default_factory=set)
    _keys: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def keep_replying(
        self, cluster: InboxCluster, stop: asyncio.Event, every_s: float, rng: random.Random
    ) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        async with aiohttp.ClientSession(headers=headers) as session:
            while not stop.is_set():
                await self._reply_once(session, cluster.of_role("web"), rng)
                try:
                    await asyncio.wait_for(stop.wait(), every_s)
                except TimeoutError:
                    continue

    async def _reply_once(
        self, session: aiohttp.ClientSession, webs: list[Slot], rng: random.Random
    ) -> None:
        thread_id = await self._unanswered_thread(session, webs, rng)
        if thread_id is None:
            return
        key = f"r-{next(self._keys)}"
        body = {"body": f"Sorry about this, we are looking into it (ref {key})", "key": key,
                "override": True}  # fmt: skip
        deadline = time.monotonic() + 30.0
        while time.monotonic() < deadline:
            web = rng.choice(webs)  # the other one, sooner or later, when this one is down
            try:
                async with session.post(
                    f"{web.url}/api/v1/threads/{thread_id}/replies",
                    json=body,
                    timeout=aiohttp.ClientTimeout(total=10),
                ) as answer:
                    if answer.status == 202:
                        self.accepted.append(key)
                        self.replied_threads.add(thread_id)
                        return
                    if answer.status < 500:
                        return  # refused for a reason of its own (a colleague replying...)
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(0.3)

    async def _unanswered_thread(
        self, session: aiohttp.ClientSession, webs: list[Slot], rng: random.Random
    ) -> int | None:
        try:
            async with session.get(
                f"{rng.choice(webs).url}/api/v1/threads",
                params={"limit": "30"},
                timeout=aiohttp.ClientTimeout(total=10),
            ) as answer:
                if answer.status != 200:
                    return None
                items = (await answer.json())["items"]
        except (aiohttp.ClientError, TimeoutError):
            return None
        fresh = [
            item["id"]
            for item in items
            if item["id"] not in self.replied_threads
            and datetime.fromisoformat(item["opened_at"]) >= self.since
        ]
        return rng.choice(fresh) if fresh else None
