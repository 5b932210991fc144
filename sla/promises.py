"""The times a reply promises: "we'll call you at 20:00", "demain à 9h", "on Monday",
"in 2 hours". Read so that a promise can be held against the team's calendar before it is
sent (`routing.reply_checks`).

A small reader of what agents write in English and French, not a general date parser:
- a time ("20:00", "8pm", "8.30 p.m.", "noon", "midi"; "at 20h", "à 9 heures", "at 5
  o'clock" after a preposition, since "1h" alone is as often a length) without a day is its
  next occurrence; with a day in the same sentence ("tomorrow at 9pm", "lundi à 14h") it is
  that day's; "tonight", "ce soir", "this afternoon" put an hour written without am/pm after
  noon, and so does an English hour from 1 to 7 ("at 5:30": nobody promises 5:30 a.m.);
- "before 18:00", "by 6pm", "avant 18h" is the span from now until then;
- a day without a time ("tomorrow", "on Monday", "demain matin") is the whole day, or the part
  of it named;
- "in 2 hours", "dans 30 minutes" is a moment from now; "within 2 hours", "d'ici une heure",
  "sous 48h" is the span from now until then.
What is already past is no promise ("we called you at 8:00 today"), nor is a day after
"since", "depuis", "last" or before "dernier". Pure: the present and the zone come in.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# Parts of a day, as agents mean them when they write no time.
_PARTS = {
    "morning": (time(8), time(12)),
    "afternoon": (time(12), time(18)),
    "evening": (time(18), time(22)),
}
# An hour written without am/pm in these parts of the day is after noon ("ce soir à 8h").
_AFTER_NOON = frozenset({"afternoon", "evening"})
# Beyond this, "in 400 days" is not a time to hold against a calendar.
FURTHEST = timedelta(days=60)


@dataclass(frozen=True, slots=True)
class Promise:
    """What was written (`words`, spaces collapsed) and when it falls, in the zone it was
    read in: a moment (`start == end`) or a span (a day, part of one, "within two hours")."""

    words: str
    start: datetime
    end: datetime

    @property
    def moment(self) -> bool:
        return self.start == self.end


_WEEKDAYS = {
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5,
    "sunday": 6, "lundi": 0, "mardi": 1, "mercredi": 2, "jeudi": 3, "vendredi": 4,
    "samedi": 5, "dimanche": 6,
}  # fmt: skip
_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "un": 1, "une": 1, "two": 2, "deux": 2, "three": 3, "trois": 3,
    "four": 4, "quatre": 4, "few": 3, "a few": 3, "quelques": 3,
}  # fmt: skip
_UNITS = {
    "min": 60, "mins": 60, "minute": 60, "minutes": 60,
    "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600, "heure": 3600,
    "heures": 3600, "day": 86400, "days": 86400, "jour": 86400, "jours": 86400,
}  # fmt: skip
_FRENCH_PARTS = {
    "matin": "morning", "apres-midi": "afternoon", "apres midi": "afternoon",
    "soir": "evening", "night": "evening",
}  # fmt: skip
# A time after these is the end of a span: whatever happens, happens before it.
_UNTIL = frozenset({"by", "before", "until", "avant", "jusqu'a", "d'ici"})

# All read on folded text: lower case, accents off, one character for one (`_fold`).
_DURATION = re.compile(
    r"\b(?P<rel>in|within|under|dans|d'ici|sous)\s+"
    r"(?:(?P<half>half an hour|une demi-heure|une demi heure)"
    r"|(?P<hour>the hour|l'heure)"
    r"|(?:(?P<n>\d{1,3}|a few|an?|one|two|three|four|few|une?|deux|trois|quatre|quelques)\s*"
    r"(?P<unit>minutes?|mins?|min|hours?|hrs?|h|heures?|days?|jours?)))\b"
)
_TIME = re.compile(
    r"(?<![\w:./,'-])"
    r"(?:(?P<prep>at|by|before|after|around|until|from|a|vers|avant|apres|des|jusqu'a|d'ici"
    r"|pour|entre|de)\s+)?"
    r"(?:"
    # 20:00, 8:30pm, 8:30 p.m.
    r"(?P<h1>[01]?\d|2[0-3])\s?:\s?(?P<m1>[0-5]\d)(?:\s?(?P<ap1>[ap])\.?m\b\.?)?"
    # 8pm, 8.30pm, 8 a.m.
    r"|(?P<h2>1[0-2]|0?[1-9])(?:[.](?P<m2>[0-5]\d))?\s?(?P<ap2>[ap])\.?m\b\.?"
    # 20h, 20h30, 20 h 30, 9 heures (after a preposition only)
    r"|(?P<h3>[01]?\d|2[0-3])\s?h(?:eures?)?(?:\s?(?P<m3>[0-5]\d))?"
    # 5 o'clock (after a preposition only)
    r"|(?P<h4>1[0-2]|0?[1-9])\s?o'clock"
    r"|(?P<word>noon|midday|midnight|midi|minuit)"
    r")(?![\w%/])"
)
_DAY = re.compile(
    r"\b(?:"
    r"(?P<after>the day after tomorrow|apres-demain|apres demain)"
    r"|(?P<today>today|aujourd'hui|aujourd hui)"
    r"|(?P<tonight>tonight|this evening|ce soir)"
    r"|(?P<morning>this morning|ce matin)"
    r"|(?P<afternoon>this afternoon|cet apres-midi|cet apres midi)"
    r"|(?P<tomorrow>tomorrow|demain)"
    r"(?:\s+(?P<tpart>morning|afternoon|evening|night|matin|apres-midi|apres midi|soir))?"
    r"|(?:(?:on|next|this|ce)\s+)?(?P<weekday>monday|tuesday|wednesday|thursday|friday"
    r"|saturday|sunday|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)"
    r"(?:\s+(?:prochain\s+)?(?P<wpart>morning|afternoon|evening|night|matin|apres-midi"
    r"|apres midi|soir))?"
    r")\b"
)
_PAST_BEFORE = re.compile(r"\b(?:since|depuis|last)\s+$")
_PAST_AFTER = re.compile(r"^\s+(?:dernier|passe)\b")
_SENTENCE = re.compile(r"(?<![ap]\.m)[.!?;]+(?:\s|$)|\n+")


def _fold(text: str) -> str:
    """Lower case without accents, one character for one, so that a match's place in the
    folded text is its place in the text as written."""
    folded = []
    for char in text.replace("’", "'"):
        lower = char.lower()
        folded.append(unicodedata.normalize("NFD", lower if len(lower) == 1 else char)[0])
    return "".join(folded)


@dataclass(frozen=True, slots=True)
class _Day:
    start: int
    end: int
    offset: int  # days from today (a weekday: worked out from today's)
    weekday: int | None
    part: str | None


@dataclass(frozen=True, slots=True)
class _Time:
    start: int
    end: int
    hour: int
    minute: int
    meridiem: str | None  # "a", "p"; None: on 24 hours, or after noon by its part of day
    until: bool  # "before 18:00": a span that ends then


def promised_times(text: str, now: datetime, zone: ZoneInfo) -> list[Promise]:
    """Every time `text` promises from `now`, read in `zone` (the team's), in the order
    written."""
    folded = _fold(text)
    local_now = now.astimezone(zone)
    promises: list[Promise] = []
    start = 0
    for boundary in [*_SENTENCE.finditer(folded), None]:
        end = boundary.start() if boundary is not None else len(folded)
        promises.extend(_in_sentence(text[start:end], folded[start:end], local_now, zone))
        if boundary is not None:
            start = boundary.end()
    return [p for p in promises if p.end > local_now and p.start - local_now <= FURTHEST]


def _in_sentence(text: str, folded: str, now: datetime, zone: ZoneInfo) -> list[Promise]:
    promises: list[tuple[int, Promise]] = []
    # Lengths first, and out of the way: "dans 2h" is not two o'clock.
    lengths = list(_DURATION.finditer(folded))
    for match in lengths:
        promises.append((match.start(), _length(match, _words(text, *match.span()), now)))
    days = [_day(m) for m in _DAY.finditer(folded) if not _past(folded, m)]
    times = []
    for match in _TIME.finditer(folded):
        overlaps = any(m.start() < match.end() and match.start() < m.end() for m in lengths)
        inside_a_day = any(d.start <= match.start() < d.end for d in days)
        moment = _time(match)
        if moment is not None and not overlaps and not inside_a_day:
            times.append(moment)
    paired: set[int] = set()
    for moment in times:
        day = min(days, key=lambda d: _distance(d, moment), default=None)
        first, last = moment.start, moment.end
        if day is not None:
            paired.add(day.start)
            first, last = min(first, day.start), max(last, day.end)
        at = _at(moment, day, now, zone)
        span = (now, at) if moment.until else (at, at)
        promises.append((first, Promise(_words(text, first, last), *span)))
    for day in days:
        if day.start not in paired:
            promises.append(
                (day.start, Promise(_words(text, day.start, day.end), *_whole(day, now)))
            )
    return [promise for _, promise in sorted(promises, key=lambda found: found[0])]


def _words(text: str, start: int, end: int) -> str:
    return " ".join(text[start:end].split())


def _past(folded: str, match: re.Match[str]) -> bool:
    return bool(
        _PAST_BEFORE.search(folded[: match.start()]) or _PAST_AFTER.match(folded[match.end() :])
    )


def _distance(day: _Day, moment: _Time) -> int:
    return max(day.start - moment.end, moment.start - day.end, 0)


def _length(match: re.Match[str], words: str, now: datetime) -> Promise:
    if match["half"]:
        length = timedelta(minutes=30)
    elif match["hour"]:
        length = timedelta(hours=1)
    else:
        amount = match["n"]
        count = int(amount) if amount.isdigit() else _NUMBERS[amount]
        length = timedelta(seconds=count * _UNITS[match["unit"]])
    if match["rel"] in ("in", "dans") and not match["hour"]:
        return Promise(words, now + length, now + length)
    return Promise(words, now, now + length)  # within that time: any moment until then


def _day(match: re.Match[str]) -> _Day:
    span = match.span()
    if match["weekday"]:
        return _Day(*span, 0, _WEEKDAYS[match["weekday"]], _part(match["wpart"]))
    if match["tomorrow"]:
        return _Day(*span, 1, None, _part(match["tpart"]))
    if match["after"]:
        return _Day(*span, 2, None, None)
    if match["tonight"]:
        return _Day(*span, 0, None, "evening")
    for part in ("morning", "afternoon"):
        if match[part]:
            return _Day(*span, 0, None, part)
    return _Day(*span, 0, None, None)  # today


def _part(words: str | None) -> str | None:
    return None if words is None else _FRENCH_PARTS.get(words, words)


def _time(match: re.Match[str]) -> _Time | None:
    """The time a match names; None for a bare "1h" or "5 o'clock" without a preposition,
    which is as often a length ("j'ai attendu 1h") as a time."""
    start, end = match.span()
    prep = match["prep"]
    until = prep in _UNTIL
    word = match["word"]
    if word is not None:
        hour = 12 if word in ("noon", "midday", "midi") else 0
        return _Time(start, end, hour, 0, None, until)
    for form in ("1", "2", "3", "4"):
        written = match[f"h{form}"]
        if written is None:
            continue
        if form in ("3", "4") and prep is None:
            return None
        minute = match.groupdict().get(f"m{form}")
        meridiem = match.groupdict().get(f"ap{form}")
        english_clock = form == "4" or (form == "1" and not written.startswith("0"))
        if meridiem is None and english_clock and 1 <= int(written) <= 7:
            meridiem = "p"
        return _Time(start, end, int(written), int(minute or 0), meridiem, until)
    raise AssertionError("the pattern has no other alternative")  # pragma: no cover


def _hour(moment: _Time, part: str | None) -> int:
    hour = moment.hour
    if moment.meridiem == "p" and hour < 12:
        return hour + 12
    if moment.meridiem == "a" and hour == 12:
        return 0
    if moment.meridiem is None and part in _AFTER_NOON and 1 <= hour < 12:
        return hour + 12
    return hour


def _date(day: _Day, today: date) -> date:
    if day.weekday is not None:
        ahead = (day.weekday - today.weekday()) % 7 or 7  # "on Monday" said on a Monday: next
        return today + timedelta(days=ahead)
    return today + timedelta(days=day.offset)


def _at(moment: _Time, day: _Day | None, now: datetime, zone: ZoneInfo) -> datetime:
    clock = time(_hour(moment, day.part if day else None), moment.minute)
    if day is not None:
        return datetime.combine(_date(day, now.date()), clock, tzinfo=zone)
    # No day: the next time the clock shows it ("at 9:00" said at 15:00 is tomorrow's).
    candidate = datetime.combine(now.date(), clock, tzinfo=zone)
    if candidate <= now:
        candidate = datetime.combine(now.date() + timedelta(days=1), clock, tzinfo=zone)
    return candidate


def _whole(day: _Day, now: datetime) -> tuple[datetime, datetime]:
    on = _date(day, now.date())
    zone = now.tzinfo
    if day.part is not None:
        first, last = _PARTS[day.part]
        start = datetime.combine(on, first, tzinfo=zone)
        end = datetime.combine(on, last, tzinfo=zone)
    else:
        start = datetime.combine(on, time(0), tzinfo=zone)
        end = datetime.combine(on + timedelta(days=1), time(0), tzinfo=zone)
    return max(start, now), end
