"""The demo on X: the brand and its customers on the fake X, what they wrote before the demo
started, and the scripted day that then plays (and plays again) while the demo runs.

What was written before the start is placed around the office's opening (demo_calendar) so
that the first minutes show each state the desk knows: customers who wrote while the office
was closed, acknowledged and waiting; first responses nearly due; one overdue. The day brings
questions, complaints, a customer with a large audience, spam, follow-ups in threads and an
outage burst in Lyon, which opens an incident. The texts are the project's own.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from connectors.x.fake import FakeX

log = logging.getLogger(__name__)

BRAND_ID = "1000"
BRAND = "acme"
ACCESS_TOKEN = f"{BRAND_ID}-demo-access-token"
# Credentials of the fake X only: they mean nothing anywhere else.
KEYS = {
    "bearer_token": "demo-bearer",
    "consumer_key": "demo-consumer-key",
    "consumer_secret": "demo-consumer-secret",
    "access_token": ACCESS_TOKEN,
    "access_token_secret": "demo-access-secret",
}

CUSTOMERS = (
    ("2001", "camille_lyon", 310),
    ("2002", "jdupont", 1200),
    ("2003", "sarah_k", 85),
    ("2004", "tom_builds", 40),
    ("2005", "famous_chef", 250_000),  # a customer with a large audience
    ("2006", "nico_velo", 520),
    ("2007", "emma_w", 95),
    ("2008", "lucas_b", 12),
)


@dataclass(frozen=True, slots=True)
class Earlier:
    """A customer's post from before the demo started, still unanswered."""

    before_start: timedelta
    customer: int  # index in CUSTOMERS
    text: str
    lang: str
    out_of_hours: bool  # written while the office was closed (see demo_calendar)


# With the office open since 50 minutes before the start and first responses due within 60
# business minutes (15 for high priority).
EARLIER: tuple[Earlier, ...] = (
    # Acknowledged ("our team is away"); its business clock started at the opening: at risk.
    Earlier(timedelta(minutes=95), 5,
            "@acme bonjour, ma facture de décembre affiche des frais que je n'ai jamais "
            "demandés", "fr", out_of_hours=True),
    Earlier(timedelta(minutes=75), 2,
            "@acme hi, can I move my technician visit to next week?", "en", out_of_hours=True),
    # 47 of 60 business minutes used: at risk.
    Earlier(timedelta(minutes=47), 6, "@acme how do I get a copy of my contract?", "en",
            out_of_hours=False),
    # Outage words make it high priority, due within 15 minutes: overdue.
    Earlier(timedelta(minutes=35), 3,
            "@acme no internet at all since this morning, the router lights are all red", "en",
            out_of_hours=False),
    Earlier(timedelta(minutes=12), 7,
            "@acme bonjour, je n'arrive pas à activer ma nouvelle carte SIM", "fr",
            out_of_hours=False),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Post:
    after: float  # seconds after the previous post
    customer: int  # index in CUSTOMERS
    text: str
    lang: str
    reply_to: int | None = None  # index of an earlier post of the script


SCRIPT: tuple[Post, ...] = (
    Post(3, 0, "@acme bonjour, ma box redémarre toute seule depuis ce matin, une idée ?", "fr"),
    Post(6, 2, "@acme hi! how do I move my contract to my new flat next month?", "en"),
    Post(6, 1, "@acme toujours pas de remboursement après 3 semaines, c'est inadmissible", "fr"),
    Post(8, 3, "@acme thank you so much for the quick fix yesterday, all good now", "en"),
    Post(
        8,
        4,
        "@acme my restaurant has had no internet since noon. Booking system down. Fix it.",
        "en",
    ),
    Post(6, 0, "@acme elle vient de redémarrer encore une fois...", "fr", reply_to=0),
    Post(10, 5, "@acme est-ce que l'appli permet de suivre ma consommation data ?", "fr"),
    Post(8, 6, "@acme my email is emma.w@example.com, please call me about my bill", "en"),
    Post(10, 7, "Win a free phone!! click here https://t.co/demo and follow @acme", "en"),
    Post(
        6,
        1,
        "@acme ça fait une heure que j'attends au téléphone, personne ne répond",
        "fr",
        reply_to=2,
    ),
    # The outage burst: the same neighbourhood, within seconds.
    Post(12, 0, "@acme plus de réseau du tout à Lyon 3e ?? panne ?", "fr"),
    Post(2, 5, "@acme panne internet à Lyon depuis 10 minutes, vous confirmez ?", "fr"),
    Post(2, 7, "@acme is the network down in Lyon? no signal at all", "en"),
    Post(2, 1, "@acme coupure totale ici aussi, Lyon 7e", "fr"),
    Post(2, 2, "@acme anyone else's 4G down in Lyon? nothing works", "en"),
    Post(15, 6, "@acme still waiting for someone to call me back...", "en", reply_to=7),
    Post(10, 3, "@acme how do I change the wifi password on the new router?", "en"),
    Post(
        12,
        4,
        "@acme 4 hours without internet. I am losing customers. Switching provider.",
        "en",
        reply_to=4,
    ),
)


def world(start: datetime) -> FakeX:
    """The fake X: the brand, its customers, and what they wrote before `start`."""
    fake = FakeX(keepalive_seconds=5)
    fake.add_user(BRAND_ID, BRAND, "Acme Telecom", followers_count=80_000)
    for user_id, handle, followers in CUSTOMERS:
        fake.add_user(user_id, handle, handle.replace("_", " ").title(), followers_count=followers)
    # In time order: the connector's first poll reads them as the newest mentions.
    for earlier in sorted(EARLIER, key=lambda e: e.before_start, reverse=True):
        fake.post(
            CUSTOMERS[earlier.customer][0],
            earlier.text,
            created_at=start - earlier.before_start,
            lang=earlier.lang,
        )
    return fake


async def pause(stop: asyncio.Event, seconds: float) -> bool:
    """Wait `seconds`, unless the demo is stopped first; whether it goes on."""
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        return True
    return False


async def play(fake: FakeX, stop: asyncio.Event, speed: float) -> None:
    """The script once, `speed` times faster; every post is new (new ids, new threads)."""
    posted: list[str] = []
    for post in SCRIPT:
        if not await pause(stop, post.after / speed):
            return
        reply_to = posted[post.reply_to] if post.reply_to is not None else None
        posted.append(
            fake.post(CUSTOMERS[post.customer][0], post.text, reply_to=reply_to, lang=post.lang)
        )
