"""What to look at in a reply before it leaves: the checks an agent sees as warnings and may
override ("send anyway"), and the one they may not (a text the network would refuse).

- **too long**: longer than the network takes, counted as the network counts (the @handle
  the connector starts a public reply with, links as 23 characters on X and Mastodon);
- **personal data**: an e-mail address, phone, IBAN, card or account number in a public
  reply, often the customer's own echoed back (`routing.personal_data` finds it);
- **closed then**: a promised time ("we'll call you at 20:00", "demain à 9h") when the team's
  calendar is closed (`sla.promises` reads it);
- **incident unsaid**: an open incident linked to the thread that the reply does not mention
  (by its title, one of its keywords or places, or a word for an outage).

Pure: the thread's facts, its calendar and the present come in; warnings go out.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from routing.personal_data import find_personal_data
from sla.calendar import Calendar, UnionCalendar, is_always_open, is_open, opens_within
from sla.promises import Promise, promised_times

# What a post may hold on each network (Bluesky counts graphemes; code points are close).
CHARACTER_LIMITS = {"x": 280, "mastodon": 500, "bluesky": 300, "instagram": 2200, "facebook": 8000}
# A direct message may be longer on X than a post.
DIRECT_LIMITS = {"x": 10000}
# The connectors start a reply with the customer's @handle on these networks (a Mastodon
# direct message too: it is a status addressed to them; an X direct message is not).
ADDRESSED = frozenset({"x", "mastodon", "bluesky"})
# A link counts as this many characters, whatever its length, on these networks.
LINK_LENGTH = 23
SHORTENED_LINKS = frozenset({"x", "mastodon"})
_LINK = re.compile(r"https?://\S+", re.IGNORECASE)
# How far to look for the calendar's next opening, to say when the team is back.
_REOPENING_HORIZON = timedelta(days=14)
# Words that mention an outage in general: a reply saying them speaks of the incident.
_OUTAGE_WORDS = re.compile(
    r"\b(?:incident|outage|disruption|known issue|we are aware|we're aware|service interruption"
    r"|panne|coupure|perturbation|dysfonctionnement|probleme connu|nous sommes au courant)"
)
PERSONAL_DATA_WORDS = {
    "email": "an e-mail address",
    "phone": "a phone number",
    "iban": "an IBAN",
    "payment_card": "a payment card number",
    "reference": "an account or order number",
}


class ReplyCheck(StrEnum):
    TOO_LONG = "too_long"
    PERSONAL_DATA = "personal_data"
    CLOSED_THEN = "closed_then"
    INCIDENT_UNSAID = "incident_unsaid"


@dataclass(frozen=True, slots=True)
class LinkedIncident:
    """An open incident the thread is linked to, as a reply may name it."""

    title: str
    keywords: tuple[str, ...] = ()
    places: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ReplyContext:
    """What the checks read of the thread a reply goes to. `public`: everyone can read it;
    `direct`: it goes as a direct message; `calendar`: the team's hours (the thread's SLA
    calendar), None when unknown; `team`: its name for the words."""

    network: str
    public: bool
    now: datetime
    direct: bool = False
    customer_handle: str | None = None
    customer_texts: tuple[str, ...] = ()
    calendar: Calendar | None = None
    team: str | None = None
    incidents: tuple[LinkedIncident, ...] = ()


@dataclass(frozen=True, slots=True)
class ReplyWarning:
    """One thing to look at before sending. `blocking`: no override sends it."""

    check: ReplyCheck
    message: str
    blocking: bool = False


def character_limit(network: str, direct: bool = False) -> int | None:
    if direct and network in DIRECT_LIMITS:
        return DIRECT_LIMITS[network]
    return CHARACTER_LIMITS.get(network)


def _address_cost(network: str, handle: str | None, direct: bool) -> int:
    """What the connector's "@handle " costs: Mastodon counts a remote "@user@domain" as
    "@user"."""
    if not handle or network not in ADDRESSED or (direct and network == "x"):
        return 0
    counted = handle.split("@")[0] if network == "mastodon" else handle
    return len(f"@{counted} ")


def room(network: str, handle: str | None, direct: bool = False) -> int | None:
    """How many characters the agent may type (the reply box counts down from it)."""
    limit = character_limit(network, direct)
    return None if limit is None else limit - _address_cost(network, handle, direct)


def counted_length(text: str, network: str, handle: str | None, direct: bool = False) -> int:
    """The reply's length as the network counts what the connector posts."""
    length = len(text)
    if network in SHORTENED_LINKS:
        for link in _LINK.findall(text):
            length += LINK_LENGTH - len(link)
    starts_addressed = bool(handle) and text.casefold().startswith(f"@{handle}".casefold())
    return length + (0 if starts_addressed else _address_cost(network, handle, direct))


def check_reply(text: str, context: ReplyContext) -> list[ReplyWarning]:
    """Every warning for `text` sent to the thread of `context`, blocking ones first."""
    return [
        *_too_long(text, context),
        *_personal_data(text, context),
        *_closed_then(text, context),
        *_incidents_unsaid(text, context),
    ]


def _too_long(text: str, context: ReplyContext) -> list[ReplyWarning]:
    limit = character_limit(context.network, context.direct)
    if limit is None:
        return []
    length = counted_length(text, context.network, context.customer_handle, context.direct)
    if length <= limit:
        return []
    network = {"x": "X", "mastodon": "Mastodon", "bluesky": "Bluesky"}.get(
        context.network, context.network.capitalize()
    )
    return [
        ReplyWarning(
            ReplyCheck.TOO_LONG,
            f"{length} characters as {network} counts them; it takes {limit}. "
            f"Shorten it by {length - limit}.",
            blocking=True,
        )
    ]


def _personal_data(text: str, context: ReplyContext) -> list[ReplyWarning]:
    if not context.public:
        return []  # a direct message is where personal data belongs
    found = find_personal_data(text)
    if not found:
        return []
    theirs = {d.masked for t in context.customer_texts for d in find_personal_data(t)}
    described = []
    for data in found:
        owner = " (the customer's own)" if data.masked in theirs else ""
        described.append(f"{PERSONAL_DATA_WORDS.get(data.kind, data.kind)} {data.masked}{owner}")
    return [
        ReplyWarning(
            ReplyCheck.PERSONAL_DATA,
            "Personal data in a public reply: "
            + "; ".join(described)
            + ". Leave it out, or move to a private message.",
        )
    ]


def _zone_of(calendar: Calendar) -> ZoneInfo:
    """A union of calendars (a team across zones) reads in its first member's zone."""
    return (calendar.members[0] if isinstance(calendar, UnionCalendar) else calendar).zone


def _open_for(calendar: Calendar, promise: Promise) -> bool:
    if promise.moment:
        return is_open(calendar, promise.start)
    return opens_within(calendar, promise.start, promise.end - promise.start) is not None


def _closed_then(text: str, context: ReplyContext) -> list[ReplyWarning]:
    calendar = context.calendar
    if calendar is None or is_always_open(calendar):
        return []
    zone = _zone_of(calendar)
    team = context.team or "the team"
    warnings = []
    for promise in promised_times(text, context.now, zone):
        if _open_for(calendar, promise):
            continue
        when = _local(promise.start, zone)
        back = opens_within(calendar, promise.start, _REOPENING_HORIZON)
        reopens = f"; it opens again {_local(back, zone)}" if back is not None else ""
        warnings.append(
            ReplyWarning(
                ReplyCheck.CLOSED_THEN,
                f"“{promise.words}” promises {when}, when {team} is closed{reopens}.",
            )
        )
    return warnings


def _local(instant: datetime, zone: ZoneInfo) -> str:
    """In the calendar's own zone, labelled: the team's hours are read in it."""
    local = instant.astimezone(zone)
    return f"{local:%a %d %b %H:%M} {local.tzname() or zone.key}"


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _mentions(folded_reply: str, words: str) -> bool:
    folded = _fold(words).strip()
    return bool(folded) and re.search(rf"\b{re.escape(folded)}", folded_reply) is not None


def _names(incident: LinkedIncident) -> tuple[str, ...]:
    return (incident.title, *incident.keywords, *incident.places)


def _incidents_unsaid(text: str, context: ReplyContext) -> list[ReplyWarning]:
    if not context.incidents:
        return []
    reply = _fold(text)
    if _OUTAGE_WORDS.search(reply):
        return []
    return [
        ReplyWarning(
            ReplyCheck.INCIDENT_UNSAID,
            f"The incident “{incident.title}” is open on this thread and the reply does not "
            "mention it: say what is known.",
        )
        for incident in context.incidents
        if not any(
            _mentions(reply, words)
            for words in (incident.title, *incident.keywords, *incident.places)
        )
    ]


# A community member's answer, as its writer and its reviewer see it ---------------------------

# A network without a limit of its own (a webhook source) takes the longest reply stored.
LONGEST_POST = 5000


@dataclass(frozen=True, slots=True)
class AnswerCheck:
    """A public answer's checks in the form a writer reads them: `refusals` (what no one may
    send) and `warnings` (what to look at again), with the room left on the network."""

    length: int
    limit: int
    refusals: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def left(self) -> int:
        return self.limit - self.length

    @property
    def refused(self) -> bool:
        return bool(self.refusals)


def post_limit(network: str) -> int:
    return character_limit(network) or LONGEST_POST


def check_answer(
    text: str, network: str, now: datetime, customer_texts: tuple[str, ...] = ()
) -> AnswerCheck:
    """The checks of a public answer to a customer who wrote `customer_texts`: the same as an
    agent's reply (without the team's hours or incidents, which the reviewer weighs)."""
    stripped = text.strip()
    context = ReplyContext(network=network, public=True, now=now, customer_texts=customer_texts)
    warnings = check_reply(stripped, context)
    refusals = [w.message for w in warnings if w.blocking]
    if not stripped:
        refusals.insert(0, "The answer is empty.")
    return AnswerCheck(
        length=counted_length(stripped, network, None),
        limit=post_limit(network),
        refusals=tuple(refusals),
        warnings=tuple(w.message for w in warnings if not w.blocking),
    )
