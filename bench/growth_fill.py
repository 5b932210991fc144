"""A workspace grown to a number of mentions, generated and COPY-loaded, for bench/growth.py.

The history has the shape of a busy brand account at a steady 10,000 mentions a day: threads
of 1 to 20 messages (most short), customers who come back with several threads, the brand's
replies in between, almost every thread resolved long ago, the last two days' threads mostly
still open with their SLA clocks running, and a few old threads forgotten open. Beside the
mentions: each inbound message's classification, the assignments, notes on some threads,
the outbox row of every reply sent, the SLA clocks (met, breached, running) and the events of
the breached ones, closures without a reply, and incidents linking a few hundred threads.

Each step adds OLDER history below what is there (the newest day stays the same whatever the
size), so that what an agent reads today is the same at every size and only the past grows.
Rows are made in chunks and loaded with `copy_records_to_table`; the secondary indexes of the
loaded tables are dropped during a step and built again from their own definitions after it,
so that the workspace ends with exactly the indexes the migrations leave (a bulk build is
several times faster than keeping a GIN index up to date row by row). Identity sequences are
moved past the ids used, so that the real ingestion path can run on top.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from inbox.store.database import Connection

MENTIONS_PER_DAY = 10_000
# The last two days: where most open threads are.
RECENT = timedelta(days=2)
CHUNK_THREADS = 20_000
SLA_BUDGET = timedelta(hours=1)
SLA_WARNING = timedelta(minutes=15)
BRAND = ("900000000000000001", "AcmeTelecom")
NETWORKS = ("x", "x", "x", "mastodon", "bluesky")  # X carries most of the traffic
# Thread lengths 1..20, most of them short (mean about 2.6 messages).
LENGTHS = list(range(1, 21))
LENGTH_WEIGHTS = [0.34, 0.22, 0.13, 0.08, 0.06, 0.04, 0.03, 0.02, 0.02, 0.01,
                  0.01, 0.01, 0.005, 0.005, 0.005, 0.005, 0.005, 0.005, 0.005, 0.005]  # fmt: skip
CITIES = ("Lyon", "Nantes", "Bordeaux", "Lille", "Marseille", "Toulouse", "Rennes",
          "Grenoble", "Nice", "Strasbourg", "Montpellier", "Dijon", "Brest", "Metz", "Rouen",
          "Tours")  # fmt: skip
COMPLAINTS = (
    "@{brand} my fibre has been down since this morning in {city}, any news? #panne",
    "@{brand} third time this week the 4G drops in {city}. Fix it or I leave.",
    "@{brand} I was billed twice for March, order {number}, nobody answers the phone",
    "@{brand} bonjour, plus d'internet depuis hier soir à {city}, c'est normal ?",
    "@{brand} the app keeps logging me out, can't pay my bill (account {number})",
    "@{brand} thanks for fixing it so fast yesterday!",
    "@{brand} is there an outage in {city}? TV and internet both gone",
    "@{brand} ma facture {number} est fausse, remboursement svp",
    "@{brand} my delivery {number} was supposed to arrive Tuesday, still nothing",
    "@{brand} how do I move my contract to {city}?",
)
FOLLOW_UPS = ("still nothing here", "ok it works now, thanks", "done, sent you a DM",
              "any update? it's been two hours", "toujours rien...",
              "the technician never came to {city}", "order {number}, as I said")  # fmt: skip
REPLIES = (
    "Hi {name}, sorry about this. Could you DM us your account number so we can check?",
    "Bonjour {name}, nos équipes sont sur le coup, on revient vers vous très vite.",
    "Thanks {name}, we've escalated it to our network team.",
    "Hi {name}, the outage in {city} is fixed since 14:20. Is it back for you?",
)
KINDS = ("complaint", "complaint", "complaint", "question", "praise")
TOPICS = (("network",), ("billing",), ("network", "outage"), ("delivery",), ("app",), ())
PRIORITIES = ("low", "normal", "normal", "normal", "high", "urgent")
NOTES = ("Called them back, line reset.", "Customer is a VIP since 2019, be careful.",
         "Duplicate of an earlier ticket.", "Waiting for the field team.")  # fmt: skip

# The tables a step loads, their columns in the order the records give them, and the ones
# whose id sequence is moved past the ids used.
COLUMNS: dict[str, tuple[str, ...]] = {
    "customer": ("workspace_id", "id", "display_name", "created_at", "vip"),
    "identity": ("workspace_id", "id", "customer_id", "network", "external_user_id", "handle",
                 "display_name", "created_at"),
    "thread": ("workspace_id", "id", "network", "thread_key", "status", "priority", "kind",
               "customer_id", "assignee_id", "opened_at", "last_inbound_at", "last_outbound_at",
               "last_answered_at", "message_count", "resolved_at", "excerpt", "created_at",
               "updated_at", "language", "topics", "assigned_at", "sla_due_at"),
    "mention": ("workspace_id", "network", "external_id", "thread_id", "thread_key",
                "direction", "author_external_id", "author_handle", "author_name",
                "customer_id", "body", "language", "in_reply_to", "url", "created_at",
                "ingested_at", "raw"),
    "mention_classification": ("workspace_id", "network", "external_id", "thread_id", "kind",
                               "language", "urgency", "topics", "reasons"),
    "assignment": ("workspace_id", "id", "thread_id", "agent_id", "source", "reasons", "at"),
    "note": ("workspace_id", "id", "thread_id", "author_agent_id", "body", "created_at"),
    "outbox_item": ("workspace_id", "id", "thread_id", "network", "kind", "idempotency_key",
                    "body", "in_reply_to", "status", "attempts", "sent_external_id",
                    "next_attempt_at", "created_at", "updated_at", "agent_id"),
    "sla_clock": ("workspace_id", "id", "thread_id", "kind", "started_at", "policy",
                  "calendar", "config_version", "budget_seconds", "deadline", "warn_at",
                  "stopped_at", "outcome", "warned_at", "breached_at", "next_due_at",
                  "created_at", "business_seconds", "arrived_in_hours"),
    "sla_event": ("workspace_id", "clock_id", "thread_id", "kind", "due_at", "fired_at",
                  "dispatched_at"),
    "thread_closure": ("workspace_id", "id", "thread_id", "at", "reason", "closed_by"),
    "incident": ("workspace_id", "id", "status", "source", "title", "topics", "keywords",
                 "places", "started_at", "opened_at", "normal_since", "closed_at",
                 "explanation", "peak_score"),
    "incident_thread": ("workspace_id", "incident_id", "thread_id", "linked_at"),
}  # fmt: skip
WITH_IDS = ("customer", "identity", "thread", "assignment", "note", "outbox_item", "sla_clock",
            "thread_closure", "incident")  # fmt: skip
# Each chunk's parents before their children (notes and incident links have foreign keys).
LOAD_ORDER = tuple(COLUMNS)

# Secondary indexes of the loaded tables, that is, those no constraint stands behind.
SECONDARY_INDEXES = """
SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition
FROM pg_index i
WHERE i.indrelid = ANY($1::regclass[])
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
"""


@dataclass
class Ids:
    """The next id of each table with an identity column."""

    next: dict[str, int] = field(default_factory=dict)

    def take(self, table: str) -> int:
        value = self.next[table]
        self.next[table] = value + 1
        return value


@dataclass
class Chunk:
    rows: dict[str, list[tuple[Any, ...]]] = field(
        default_factory=lambda: {table: [] for table in COLUMNS}
    )
    mentions: int = 0


def _payload(external_id: str, author: str, handle: str, text: str, at: datetime) -> str:
    """A raw payload of the size and shape the networks send (about 700 bytes)."""
    return json.dumps(
        {
            "data": {
                "id": external_id,
                "text": text,
                "author_id": author,
                "created_at": at.isoformat(),
                "lang": "en",
                "source": "Twitter for Android",
                "reply_settings": "everyone",
                "possibly_sensitive": False,
                "public_metrics": {"retweet_count": 0, "reply_count": 0, "like_count": 1},
                "entities": {"mentions": [{"start": 0, "end": 12, "username": BRAND[1]}]},
            },
            "includes": {
                "users": [
                    {
                        "id": author,
                        "username": handle,
                        "name": handle.replace("_", " ").title(),
                        "verified": False,
                        "profile_image_url": f"https://pbs.twimg.com/profile_images/{author}/a.jpg",
                    }
                ]
            },
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )


class History:
    """Generates the rows of a workspace's history, older and older, reproducibly."""

    def __init__(
        self, workspace_id: int, agent_ids: list[int], now: datetime, seed: int = 19
    ) -> None:
        self.workspace_id = workspace_id
        self.agent_ids = agent_ids
        self.now = now
        self.rng = random.Random(seed)
        self.customers: list[tuple[int, str, str]] = []  # id, network user id, handle
        self.incident_open: tuple[int, datetime, int] | None = None  # id, at, threads left

    def threads(
        self, ids: Ids, mentions: int, newest: datetime, oldest: datetime
    ) -> Iterator[Chunk]:
        """About `mentions` mentions in threads opened between `oldest` and `newest`, newest
        first, in chunks."""
        made = 0
        chunk = Chunk()
        span = (newest - oldest).total_seconds()
        while made < mentions:
            opened = newest - timedelta(seconds=span * made / mentions)
            opened -= timedelta(seconds=self.rng.uniform(0, 60))
            length = min(self.rng.choices(LENGTHS, LENGTH_WEIGHTS)[0], mentions - made)
            self._thread(ids, chunk, opened, length)
            made += length
            chunk.mentions += length
            if len(chunk.rows["thread"]) >= CHUNK_THREADS:
                yield chunk
                chunk = Chunk()
        if chunk.rows["thread"]:
            yield chunk

    def _customer(self, ids: Ids, chunk: Chunk, network: str, at: datetime) -> tuple[int, str, str]:
        # Four threads in ten come from a customer seen before (recently, most often).
        if self.customers and self.rng.random() < 0.4:
            back = min(len(self.customers), 50_000)
            return self.customers[-1 - int(self.rng.triangular(0, back, 0))]
        customer_id = ids.take("customer")
        handle = f"customer_{customer_id}"
        user_id = str(10_000_000_000 + customer_id)
        chunk.rows["customer"].append(
            (self.workspace_id, customer_id, f"Customer {customer_id}", at,
             self.rng.random() < 0.01)
        )  # fmt: skip
        chunk.rows["identity"].append(
            (self.workspace_id, ids.take("identity"), customer_id, network, user_id, handle,
             f"Customer {customer_id}", at)
        )  # fmt: skip
        made = (customer_id, user_id, handle)
        self.customers.append(made)
        return made

    def _text(self, templates: tuple[str, ...], name: str = "") -> str:
        return self.rng.choice(templates).format(
            brand=BRAND[1],
            city=self.rng.choice(CITIES),
            number=self.rng.randint(10_000, 9_999_999),
            name=name,
        )

    def _thread(self, ids: Ids, chunk: Chunk, opened: datetime, length: int) -> None:
        rng, workspace = self.rng, self.workspace_id
        network = rng.choice(NETWORKS)
        thread_id = ids.take("thread")
        customer_id, user_id, handle = self._customer(ids, chunk, network, opened)
        key = f"g{thread_id}"
        language = "fr" if rng.random() < 0.3 else "en"
        kind, topics = rng.choice(KINDS), list(rng.choice(TOPICS))
        agent = rng.choice(self.agent_ids)
        at, previous = opened, None
        last_in = last_out = None
        excerpt = ""
        limit = self.now - timedelta(minutes=1)
        for number in range(length):
            inbound = number == 0 or rng.random() < 0.55
            external_id = f"{key}-{number}"
            if inbound:
                text = self._text(COMPLAINTS if number == 0 else FOLLOW_UPS)
                author, author_handle, customer = user_id, handle, customer_id
                last_in = at
                chunk.rows["mention_classification"].append(
                    (workspace, network, external_id, thread_id, kind, language,
                     rng.choice(("low", "normal", "high")), topics, "[]")
                )  # fmt: skip
            else:
                text = self._text(REPLIES, name="@" + handle)
                author, author_handle, customer = BRAND[0], BRAND[1], None
                last_out = at
                chunk.rows["outbox_item"].append(
                    (workspace, ids.take("outbox_item"), thread_id, network, "reply",
                     f"reply:{agent}:{external_id}", text, previous, "sent", 1, external_id, at,
                     at - timedelta(seconds=5), at, agent)
                )  # fmt: skip
            excerpt = excerpt or text[:140]
            chunk.rows["mention"].append(
                (workspace, network, external_id, thread_id, key,
                 "inbound" if inbound else "outbound", author, author_handle,
                 author_handle.replace("_", " ").title(), customer, text, language, previous,
                 f"https://{network}.example/{author_handle}/{external_id}", at,
                 at + timedelta(seconds=2), _payload(external_id, author, author_handle, text, at))
            )  # fmt: skip
            previous = external_id
            at = min(at + timedelta(minutes=rng.expovariate(1 / 40)), limit)
        recent = self.now - opened < RECENT
        still_open = rng.random() < (0.7 if recent else 0.003)
        awaiting = still_open and (last_out is None or (last_in or opened) > last_out)
        status = rng.choice(("new", "open", "pending")) if still_open else "resolved"
        answered_in = last_out - opened if last_out else None
        deadline = opened + SLA_BUDGET
        resolved_at = None if still_open else min(at + timedelta(hours=1), limit)
        sla_due_at = (last_in or opened) + SLA_BUDGET if awaiting else None
        chunk.rows["thread"].append(
            (workspace, thread_id, network, key, status, rng.choice(PRIORITIES), kind,
             customer_id, None if status == "new" else agent, opened, last_in, last_out, last_out,
             length, resolved_at, excerpt, opened, at, language, topics,
             opened + timedelta(minutes=1), sla_due_at)
        )  # fmt: skip
        chunk.rows["assignment"].append(
            (workspace, ids.take("assignment"), thread_id, agent, "routing", "[]",
             opened + timedelta(minutes=1))
        )  # fmt: skip
        if rng.random() < 0.05:
            chunk.rows["note"].append(
                (workspace, ids.take("note"), thread_id, agent, rng.choice(NOTES),
                 opened + timedelta(minutes=20))
            )  # fmt: skip
        if not still_open and last_out is None and rng.random() < 0.3:
            chunk.rows["thread_closure"].append(
                (workspace, ids.take("thread_closure"), thread_id, resolved_at,
                 "no_reply_needed", f"agent:{agent}")
            )  # fmt: skip
        self._clock(ids, chunk, thread_id, opened, deadline, answered_in, resolved_at, awaiting)
        self._incident(ids, chunk, thread_id, opened, topics)

    def _clock(
        self,
        ids: Ids,
        chunk: Chunk,
        thread_id: int,
        opened: datetime,
        deadline: datetime,
        answered_in: timedelta | None,
        resolved_at: datetime | None,
        running: bool,
    ) -> None:
        clock_id = ids.take("sla_clock")
        warn_at = deadline - SLA_WARNING
        stopped = None if running else (opened + answered_in if answered_in else resolved_at)
        waited = (stopped or self.now) - opened
        breached = waited > SLA_BUDGET
        outcome = None if running else ("breached" if breached else "met")
        warned = warn_at if waited > SLA_BUDGET - SLA_WARNING else None
        breached_at = deadline if breached else None
        next_due = None
        if running:
            next_due = None if breached else (deadline if warned else warn_at)
        chunk.rows["sla_clock"].append(
            (self.workspace_id, clock_id, thread_id, "first_response", opened, "standard",
             "always", 1, int(SLA_BUDGET.total_seconds()), deadline, warn_at, stopped, outcome,
             warned, breached_at, next_due, opened,
             int(waited.total_seconds()) if stopped else None, self.rng.random() < 0.7)
        )  # fmt: skip
        for kind, due in (("warning", warned), ("breach", breached_at)):
            if due is not None:
                chunk.rows["sla_event"].append(
                    (self.workspace_id, clock_id, thread_id, kind, due, due, due)
                )

    def _incident(
        self, ids: Ids, chunk: Chunk, thread_id: int, opened: datetime, topics: list[str]
    ) -> None:
        """About one outage every 20,000 threads, each linking 300 network complaints."""
        if self.incident_open is None and self.rng.random() < 1 / 20_000:
            incident_id = ids.take("incident")
            city = self.rng.choice(CITIES)
            chunk.rows["incident"].append(
                (self.workspace_id, incident_id, "closed", "detector", f"Outage in {city}",
                 ["network"], ["panne", "down"], [city], opened - timedelta(hours=3),
                 opened - timedelta(hours=3), opened - timedelta(hours=1), opened,
                 "complaints about the network in " + city, 4.2)
            )  # fmt: skip
            self.incident_open = (incident_id, opened, 300)
        if self.incident_open and "network" in topics:
            incident_id, at, left = self.incident_open
            chunk.rows["incident_thread"].append((self.workspace_id, incident_id, thread_id, at))
            self.incident_open = (incident_id, at, left - 1) if left > 1 else None


async def next_ids(conn: Connection) -> Ids:
    found = {}
    for table in WITH_IDS:
        found[table] = int(await conn.fetchval(f"SELECT coalesce(max(id), 0) + 1 FROM {table}"))  # noqa: S608 (constants)
    return Ids(found)


async def move_sequences(conn: Connection, ids: Ids) -> None:
    """Past the ids used: the real ingestion path then takes new ones."""
    for table in WITH_IDS:
        await conn.execute(
            "SELECT setval(pg_get_serial_sequence($1, 'id'), $2, false)", table, ids.next[table]
        )


async def drop_secondary_indexes(conn: Connection) -> list[str]:
    """Their definitions, to build them again after the load."""
    rows = await conn.fetch(SECONDARY_INDEXES, list(COLUMNS))
    for row in rows:
        await conn.execute(f"DROP INDEX {row['name']}")
    return [row["definition"] for row in rows]


async def load_chunk(conn: Connection, chunk: Chunk) -> None:
    async with conn.transaction():
        for table in LOAD_ORDER:
            if chunk.rows[table]:
                await conn.copy_records_to_table(
                    table, records=chunk.rows[table], columns=list(COLUMNS[table])
                )


async def grow(conn: Connection, history: History, have: int, want: int, now: datetime) -> int:
    """Adds `want - have` mentions of older history; the mentions added."""
    newest = now - timedelta(days=have / MENTIONS_PER_DAY)
    oldest = now - timedelta(days=want / MENTIONS_PER_DAY)
    await conn.execute("SET synchronous_commit = off")
    await conn.execute("SET maintenance_work_mem = '512MB'")
    ids = await next_ids(conn)
    definitions = await drop_secondary_indexes(conn)
    added = 0
    try:
        for chunk in history.threads(ids, want - have, newest, oldest):
            await load_chunk(conn, chunk)
            added += chunk.mentions
    finally:
        for definition in definitions:
            await conn.execute(definition)
        await move_sequences(conn, ids)
        await conn.execute("RESET synchronous_commit")
        await conn.execute("RESET maintenance_work_mem")
    await conn.execute(COUNT_SLA_EVENTS, history.workspace_id)
    await conn.execute("ANALYZE")
    return added


# The metrics' count of SLA events, kept by the timer as it fires them: the loaded events were
# never fired.
COUNT_SLA_EVENTS = """
INSERT INTO sla_event_count (workspace_id, kind, fired)
SELECT workspace_id, kind, count(*) FROM sla_event WHERE workspace_id = $1
GROUP BY workspace_id, kind
ON CONFLICT (workspace_id, kind) DO UPDATE SET fired = excluded.fired
"""


def utc_minute() -> datetime:
    return datetime.now(UTC).replace(second=0, microsecond=0)
