"""Incidents link only what belongs: linking precision and recall on labelled replays.

    python bench/incidents.py [--database-url URL]

Each replay runs on a fresh database (the embedded PostgreSQL unless a URL is given) through
the product's own path: ingestion with the real classifier, the after-ingest hook that links
new complaints to open incidents, and the incident timer (relearning on start, then ticked
every minute on a simulated clock, the complaints of each minute ingested before its tick).
The threads every detected incident linked are compared with the threads that belong to the
outage by construction:

1. The demo: the demo's past week (`inbox.demo_history`), then its scripted day
   (`inbox.demo_day.SCRIPT`) at its own pace from a Wednesday 10:00. The outage is the burst of
   posts the script writes one after another within seconds (Lyon).
2. A generated day after three weeks of history: complaints about bills, the app and slow
   connections all day, single customers' lines down (outage words, unrelated to each other)
   a few a day, complaints naming the towns where they live, and every weekday from 9:00 to
   10:00 a peak of billing complaints, learned; then on the day, besides all of those, an
   outage in Grenoble from 11:00 to 11:40: customers saying the network is down, some naming
   the town, some only the town.

Precision: the share of linked threads that belong to the outage; recall: the share of the
outage's threads that were linked. A thread belongs to the outage when one of its messages is
an outage message. Recall is also given among the outage's threads the classifier called
complaints (only complaints are counted and linked): what linking itself missed.

The last lines are the figures, one a line.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.ingest import bench_database
from inbox import demo_day, demo_history
from inbox.bootstrap import build_services
from inbox.domain.incidents import Incident, IncidentSource
from inbox.domain.ingestion import IngestBatch
from inbox.domain.mention import Direction, Mention
from inbox.store.database import Database
from inbox.store.incidents import PgIncidentStore
from inbox.store.migrate import migrate
from inbox.store.workspaces import PgWorkspaceStore
from inbox.usecases.incident_detector import IncidentTimer

WEDNESDAY = datetime(2026, 3, 4, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
# After the day, the timer runs on until every incident has had its quiet period.
RUN_ON = timedelta(minutes=90)


@dataclass(frozen=True)
class Post:
    mention: Mention
    outage: bool  # belongs to the outage, by construction


@dataclass(frozen=True)
class Replay:
    name: str
    history: list[Mention]
    day: list[Post]  # in time order
    start: datetime  # the timer starts here, after the history
    relearn: timedelta


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Outcome:
    name: str
    incidents: list[Incident] = field(default_factory=list)
    linked: set[int] = field(default_factory=set)  # threads linked to a detected incident
    outage: set[int] = field(default_factory=set)  # threads of the outage
    outage_complaints: set[int] = field(default_factory=set)  # ...that hold a complaint
    threads: int = 0  # threads of the day

    @property
    def true_links(self) -> int:
        return len(self.linked & self.outage)

    @property
    def precision(self) -> float:
        return self.true_links / len(self.linked) if self.linked else 0.0

    @property
    def recall(self) -> float:
        return self.true_links / len(self.outage) if self.outage else 0.0

    @property
    def linking_recall(self) -> float:
        found = len(self.linked & self.outage_complaints)
        return found / len(self.outage_complaints) if self.outage_complaints else 0.0


# The demo ----------------------------------------------------------------------------------

# The script's burst: five posts two seconds apart, the neighbourhood's outage.
DEMO_BURST = range(10, 15)


def demo_replay() -> Replay:
    start = WEDNESDAY.replace(hour=10)
    customers = tuple((user_id, handle) for user_id, handle, _ in demo_day.CUSTOMERS)
    history = demo_history.past_week(start, customers, (demo_day.BRAND_ID, demo_day.BRAND))
    day: list[Post] = []
    at = start
    for number, post in enumerate(demo_day.SCRIPT):
        at += timedelta(seconds=post.after)
        if number in DEMO_BURST and number > DEMO_BURST.start and post.after > 10:
            raise ValueError(f"the demo's burst is no longer a burst at post {number}")
        who = (demo_day.BRAND_ID, demo_day.BRAND) if post.customer < 0 else customers[post.customer]
        parent = day[post.reply_to].mention if post.reply_to is not None else None
        day.append(
            Post(
                demo_history.x_mention(
                    f"demo-{number}",
                    who,
                    post.text,
                    at,
                    lang=post.lang,
                    conversation=parent.conversation_key if parent else None,
                    in_reply_to=parent.external_id if parent else None,
                ),
                outage=number in DEMO_BURST,
            )
        )
    return Replay("demo", history, day, start, relearn=timedelta(days=8))


# The generated day -------------------------------------------------------------------------

BILLING = (
    ("@acme my bill is wrong again this month, please fix it", "en"),
    ("@acme charged twice for the same month, unacceptable", "en"),
    ("@acme facture incorrecte ce mois-ci, merci de corriger", "fr"),
    ("@acme encore un prélèvement en double, c'est inadmissible", "fr"),
)
APP = (
    ("@acme the app keeps logging me out, annoying", "en"),
    ("@acme l'appli plante à chaque ouverture, pénible", "fr"),
)
SLOW = (
    ("@acme internet is so slow every evening, terrible service", "en"),
    ("@acme le débit est très lent depuis hier soir, c'est nul", "fr"),
)
# One customer's own line down: outage words, but nobody else's problem.
LINE_DOWN = (
    ("@acme no internet at home since yesterday, when is the technician coming?", "en"),
    ("@acme ma ligne est coupée depuis deux jours, toujours pas de technicien", "fr"),
    ("@acme my landline is dead since Monday, still waiting for a fix", "en"),
)
TOWNS = ("Paris", "Marseille", "Toulouse", "Nantes", "Lille")
IN_TOWN = (
    ("@acme slow connection again in {town}, this is ridiculous", "en"),
    ("@acme réseau très lent à {town} ce soir, c'est pénible", "fr"),
)
OUTAGE_TOWN = "Grenoble"
OUTAGE = (
    ("@acme no internet at all, is the network down?", "en"),
    ("@acme network down again?? nothing works", "en"),
    ("@acme panne internet depuis 11h, vous confirmez ?", "fr"),
    ("@acme plus de réseau du tout, c'est une panne ?", "fr"),
    ("@acme no signal on my phone either, what is going on", "en"),
    ("@acme internet down in {town}, since when?", "en"),
    ("@acme panne totale à {town}, rien ne marche", "fr"),
    ("@acme nothing works in {town} this morning, really annoying", "en"),
    ("@acme {town} centre: no connection for half an hour, ridiculous", "en"),
)
# Complaints an hour by hour of the day (the demo's daily shape, ten times busier).
HOURLY = tuple(10 * rate for rate in demo_history.HOURLY)
PEAK_PER_MINUTE = 0.6  # the weekday billing peak, 9:00 to 10:00
LINE_DOWN_PER_DAY = 4.0
TOWNS_PER_DAY = 6.0
OUTAGE_START = timedelta(hours=11)
OUTAGE_MINUTES = 40
OUTAGE_PER_MINUTE = 1.2


def generated_replay(seed: int = 16, history_days: int = 21) -> Replay:
    rng = random.Random(seed)
    day_start = WEDNESDAY
    history: list[Mention] = []
    day: list[Post] = []
    people = [(str(5000 + n), f"customer{n}") for n in range(400)]

    def add(text: str, lang: str, at: datetime, *, outage: bool = False) -> None:
        number = len(history) + len(day)
        message = demo_history.x_mention(f"gen-{number}", rng.choice(people), text, at, lang=lang)
        if at < day_start:
            history.append(message)
        else:
            day.append(Post(message, outage))

    for hour in range(-history_days * 24, 14):
        at_hour = day_start + timedelta(hours=hour)
        weekday = at_hour.weekday() < 5
        for _ in range(demo_history.poisson(rng, HOURLY[at_hour.hour])):
            text, lang = rng.choice(rng.choice((BILLING, APP, SLOW)))
            add(text, lang, at_hour + timedelta(seconds=rng.randrange(3600)))
        for pool, per_day in ((LINE_DOWN, LINE_DOWN_PER_DAY), (IN_TOWN, TOWNS_PER_DAY)):
            for _ in range(demo_history.poisson(rng, per_day / 24)):
                text, lang = rng.choice(pool)
                text = text.format(town=rng.choice(TOWNS))
                add(text, lang, at_hour + timedelta(seconds=rng.randrange(3600)))
        if weekday and at_hour.hour == 9:
            for minute in range(60):
                for _ in range(demo_history.poisson(rng, PEAK_PER_MINUTE)):
                    text, lang = rng.choice(BILLING)
                    at = at_hour + timedelta(minutes=minute, seconds=rng.randrange(60))
                    add(text, lang, at)
    outage_start = day_start + OUTAGE_START
    for minute in range(OUTAGE_MINUTES):
        for _ in range(demo_history.poisson(rng, OUTAGE_PER_MINUTE)):
            text, lang = rng.choice(OUTAGE)
            at = outage_start + timedelta(minutes=minute, seconds=rng.randrange(60))
            add(text.format(town=OUTAGE_TOWN), lang, at, outage=True)
    history.sort(key=lambda m: m.created_at)
    day.sort(key=lambda p: p.mention.created_at)
    return Replay("generated", history, day, day_start, relearn=timedelta(days=history_days))


# Playing a replay --------------------------------------------------------------------------


async def play(db: Database, workspace_id: int, replay: Replay) -> Outcome:
    services = build_services(db)
    for first in range(0, len(replay.history), 500):
        batch = replay.history[first : first + 500]
        await services.ingest(workspace_id, IngestBatch(batch))
    clock = Clock(replay.start)
    store = PgIncidentStore(db)
    timer = IncidentTimer(store, services.incidents.watcher, clock=clock, relearn=replay.relearn)
    await timer.start()
    pending = list(replay.day)
    end = (pending[-1].mention.created_at if pending else replay.start) + RUN_ON
    minute = replay.start
    while minute < end:
        due = [p.mention for p in pending if p.mention.created_at < minute + MINUTE]
        pending = pending[len(due) :]
        for message in due:  # each as its connector would bring it, in its own batch
            clock.now = message.created_at
            await services.ingest(workspace_id, IngestBatch([message]))
        minute += MINUTE
        clock.now = minute
        await timer.tick()
    return await outcome(db, workspace_id, replay, store)


async def outcome(
    db: Database, workspace_id: int, replay: Replay, store: PgIncidentStore
) -> Outcome:
    result = Outcome(replay.name)
    day_ids = {p.mention.external_id: p for p in replay.day}
    async with db.connection() as conn:
        rows = await conn.fetch(
            """SELECT m.external_id, m.thread_id,
                      coalesce(mc.kind = 'complaint', false) AS complaint
               FROM mention m
               LEFT JOIN mention_classification mc
                 ON mc.workspace_id = m.workspace_id AND mc.network = m.network
                AND mc.external_id = m.external_id
               WHERE m.workspace_id = $1 AND m.direction = $2""",
            workspace_id,
            Direction.INBOUND.value,
        )
    threads = set()
    for row in rows:
        post = day_ids.get(row["external_id"])
        if post is None:
            continue
        threads.add(row["thread_id"])
        if post.outage:
            result.outage.add(row["thread_id"])
            if row["complaint"]:
                result.outage_complaints.add(row["thread_id"])
    result.threads = len(threads)
    for incident in await store.recent(workspace_id, 100):
        if incident.source is not IncidentSource.DETECTOR:
            continue
        result.incidents.append(incident)
        detail = await store.detail(workspace_id, incident.id)
        assert detail is not None
        result.linked.update(t.thread_id for t in detail.threads)
    return result


async def run(replays: Sequence[Replay], database_url: str | None) -> list[Outcome]:
    outcomes = []
    async with bench_database(database_url) as db:
        async with db.connection() as conn:
            await migrate(conn)
        for number, replay in enumerate(replays):
            workspace_id = await PgWorkspaceStore(db).ensure_workspace(
                f"replay-{number}", replay.name
            )
            outcomes.append(await play(db, workspace_id, replay))
    return outcomes


def report(outcomes: Sequence[Outcome]) -> None:
    for result in outcomes:
        print(
            f"\n{result.name}: {result.threads} threads in the day, {len(result.outage)} of the "
            f"outage ({len(result.outage_complaints)} holding a complaint)"
        )
        for incident in result.incidents:
            print(f"  incident #{incident.id} {incident.title!r}: series {list(incident.series)}")
            print(f"    places {list(incident.places)}, keywords {list(incident.keywords)}")
            closed = f"{incident.closed_at:%H:%M}" if incident.closed_at else "still open"
            print(
                f"    started {incident.started_at:%H:%M}, opened {incident.opened_at:%H:%M}, "
                f"closed {closed}, {incident.linked} threads linked"
            )
        print(f"  linked {len(result.linked)}, of which the outage's {result.true_links}")
    print()
    linked = sum(len(r.linked) for r in outcomes)
    outage = sum(len(r.outage) for r in outcomes)
    true_links = sum(r.true_links for r in outcomes)
    for result in outcomes:
        print(f"incidents_{result.name}_opened: {len(result.incidents)}")
        print(f"incidents_{result.name}_linking_precision: {result.precision:.3f}")
        print(f"incidents_{result.name}_linking_recall: {result.recall:.3f}")
        print(f"incidents_{result.name}_linking_recall_of_complaints: {result.linking_recall:.3f}")
    print(f"incidents_linking_precision: {true_links / linked if linked else 0.0:.3f}")
    print(f"incidents_linking_recall: {true_links / outage if outage else 0.0:.3f}")


def main(arguments: argparse.Namespace) -> None:
    replays = [demo_replay(), generated_replay(arguments.seed)]
    for replay in replays:
        outage = sum(p.outage for p in replay.day)
        print(
            f"{replay.name}: {len(replay.history)} messages of history, {len(replay.day)} in "
            f"the day, {outage} of them the outage's"
        )
    report(asyncio.run(run(replays, arguments.database_url)))


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a PostgreSQL server to use instead")
    parser.add_argument("--seed", type=int, default=16, help="of the generated day")
    return parser.parse_args(argv)


if __name__ == "__main__":
    main(parse_args())
