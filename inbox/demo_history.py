"""The demo's past week: complaints the brand answered and resolved, so that the SLA
dashboard has a trend, customers have a history, and the outage detector a baseline (it
learns a series for a day before it may raise an alarm; here it learns seven).

The week is generated, not recorded: a daily shape (busy office hours, quiet nights),
answers 5 to 90 minutes later, every thread then resolved. The texts are the project's own.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from inbox.domain.ingestion import IngestBatch
from inbox.domain.mention import Author, Direction, Mention
from inbox.domain.network import Network
from inbox.usecases.services import Services

DAYS = 7
# Complaints an hour by hour of the day (Paris time is close enough for a demo).
HOURLY = (0.1, 0.05, 0.05, 0.05, 0.1, 0.2, 0.4, 0.8, 1.2, 1.6, 1.6, 1.4,
          1.2, 1.4, 1.6, 1.6, 1.4, 1.2, 1.0, 0.8, 0.6, 0.5, 0.3, 0.2)  # fmt: skip
COMPLAINTS = (
    ("@acme ma connexion coupe plusieurs fois par jour", "fr"),
    ("@acme facture incorrecte ce mois-ci, merci de corriger", "fr"),
    ("@acme le débit est très lent depuis hier soir", "fr"),
    ("@acme my bill doubled and nobody explains why", "en"),
    ("@acme the app keeps logging me out, annoying", "en"),
    ("@acme still no technician after two appointments", "en"),
)
ANSWERS = {
    "fr": "Désolés pour la gêne, nous regardons votre dossier tout de suite.",
    "en": "Sorry about that, we are looking into your account right now.",
}


def past_week(
    now: datetime,
    customers: tuple[tuple[str, str], ...],
    brand: tuple[str, str],
    seed: int = 7,
) -> list[Mention]:
    """Complaints from `customers` ((id, handle)) over the last DAYS days and the brand's
    answers, in time order."""
    rng = random.Random(seed)
    start = (now - timedelta(days=DAYS)).replace(minute=0, second=0, microsecond=0)
    messages: list[Mention] = []
    for hour in range(DAYS * 24):
        at_hour = start + timedelta(hours=hour)
        for _ in range(poisson(rng, HOURLY[at_hour.hour])):
            asked = at_hour + timedelta(seconds=rng.randrange(3600))
            answered = asked + timedelta(minutes=rng.randrange(5, 90))
            if answered >= now:
                continue
            number = len(messages)
            customer = rng.choice(customers)
            text, lang = rng.choice(COMPLAINTS)
            key = f"demo-history-{number}"
            messages.append(
                x_mention(f"h{number}", customer, text, asked, lang=lang, conversation=key)
            )
            answer = x_mention(
                f"h{number}r", brand, ANSWERS[lang], answered, lang=lang, conversation=key
            )
            # Written on the network before the inbox was used: the adoption panel starts
            # from them ("0% of 58 public answers through the inbox"), and grows as the
            # demo's agents answer from the desk.
            messages.append(
                answer.model_copy(
                    update={"direction": Direction.OUTBOUND, "in_reply_to": f"h{number}"}
                )
            )
    return sorted(messages, key=lambda m: m.created_at)


async def play_past_week(
    services: Services,
    workspace_id: int,
    now: datetime,
    customers: tuple[tuple[str, str], ...],
    brand: tuple[str, str],
) -> int:
    """Ingest the week and resolve its threads; how many threads."""
    result = await services.ingest(workspace_id, IngestBatch(past_week(now, customers, brand)))
    closed = await services.close_without_reply.many(
        workspace_id, sorted(result.created_thread_ids), "resolved", "demo history"
    )
    return len(closed)


def x_mention(
    external_id: str,
    who: tuple[str, str],
    text: str,
    at: datetime,
    *,
    lang: str,
    conversation: str | None = None,
    in_reply_to: str | None = None,
) -> Mention:
    """A post on X by `who` (user id, handle), its own conversation unless one is named."""
    user_id, handle = who
    return Mention(
        network=Network.X,
        external_id=external_id,
        author=Author(external_id=user_id, handle=handle),
        text=text,
        created_at=at,
        conversation_key=conversation or external_id,
        in_reply_to=in_reply_to,
        language=lang,
    )


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw by counting exponential gaps (small means only)."""
    count, elapsed = 0, rng.expovariate(1.0)
    while elapsed < mean:
        count += 1
        elapsed += rng.expovariate(1.0)
    return count
