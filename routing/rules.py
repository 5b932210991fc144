"""What a workspace's routing rules decide for each inbound message.

The rules themselves (schema, checks, readable errors) are `routing.rules_document`. Each
inbound message is run through the enabled rules in order:

- a rule fires when every condition of its `when` holds (an empty `when` always holds);
- every rule that fires applies its `then`: a later rule overrides an earlier one's team,
  priority, assignee, acknowledgement template and no-reply flag, and adds to its tags;
  `raise_priority_to` only ever raises the priority (the classifier's urgency, or what an
  earlier rule set);
- a rule with `stop` that fires ends the evaluation: no later rule is looked at.

Every rule that fires leaves a reason naming it, the facts that made it fire and what it
changed, so an agent sees why a thread went where it went.

Phrases (`text_contains_any`) are matched on folded tokens (`routing.cues`): whole words, in
any case, with or without accents, so "Remboursé" in a rule and "rembourse" in a message meet;
a phrase ending in `*` matches any last word starting with it (`rembours*`), as the lexicons do.
Time windows are local wall-clock time in an IANA zone, `[from, to)` to the minute; a window
whose `to` is at or before its `from` crosses midnight, and its part after midnight belongs to
the day it started on (fri 22:00-06:00 holds on Saturday at 03:00), as in `sla.calendar`.

Pure: no clock, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from routing.cues import fold, tokens
from routing.rules_document import (
    PRIORITY_ORDER,
    UNKNOWN_LANGUAGE,
    WEEKDAYS,
    Actions,
    Conditions,
    RuleBook,
    TimeWindow,
    minutes_after_midnight,
)

if TYPE_CHECKING:
    from routing.classification import Classification

_RANK = {priority.value: rank for rank, priority in enumerate(PRIORITY_ORDER)}


@dataclass(frozen=True, slots=True)
class RuleFacts:
    """What the rules look at, for one inbound message of a thread.

    Plain strings, as the classifier's enums are: a value no rule names simply matches none.
    """

    kind: str
    language: str | None
    topics: frozenset[str]
    urgency: str  # the classifier's priority
    network: str
    customer_vip: bool
    followers: int | None
    personal_data: bool
    text: str
    at: datetime  # when the message was written

    def __post_init__(self) -> None:
        # A naive time would be read in the server's zone, which differs between machines.
        if self.at.utcoffset() is None:
            raise ValueError("RuleFacts.at must be timezone-aware")

    @classmethod
    def from_classification(
        cls,
        classification: Classification,
        *,
        network: str,
        text: str,
        at: datetime,
        customer_vip: bool = False,
        followers: int | None = None,
    ) -> RuleFacts:
        return cls(
            kind=classification.kind.value,
            language=classification.language,
            topics=frozenset(classification.topics),
            urgency=classification.priority.value,
            network=network,
            customer_vip=customer_vip,
            followers=followers,
            personal_data=bool(classification.personal_data),
            text=text,
            at=at,
        )


@dataclass(frozen=True, slots=True)
class RuleOutcome:
    """What the rules decided; None (or empty, or False) where no rule said anything."""

    team: str | None = None
    priority: str | None = None
    tags: frozenset[str] = frozenset()
    assign_to: str | None = None
    no_reply_needed: bool = False
    auto_acknowledge: str | None = None
    fired: tuple[str, ...] = ()  # the names of the rules that fired, in order
    reasons: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {
            "team": self.team,
            "priority": self.priority,
            "tags": sorted(self.tags),
            "assign_to": self.assign_to,
            "no_reply_needed": self.no_reply_needed,
            "auto_acknowledge": self.auto_acknowledge,
            "fired": list(self.fired),
            "reasons": list(self.reasons),
        }


def apply_rules(book: RuleBook, facts: RuleFacts) -> RuleOutcome:
    return _evaluate(_compile(book), facts)


def apply_rules_many(book: RuleBook, facts_list: Iterable[RuleFacts]) -> list[RuleOutcome]:
    """`apply_rules` for a batch: phrases, times and zones are prepared once for all."""
    compiled = _compile(book)
    return [_evaluate(compiled, facts) for facts in facts_list]


def fired_counts(
    outcomes: Iterable[RuleOutcome], *, book: RuleBook | None = None
) -> dict[str, int]:
    """How many messages each rule fired on; with the book, its rules that never fired are
    listed too (at 0, in the book's order), which is how a dead rule is spotted."""
    counts = {rule.name: 0 for rule in book.rules} if book is not None else {}
    for outcome in outcomes:
        for name in outcome.fired:
            counts[name] = counts.get(name, 0) + 1
    return counts


# --- Evaluation -------------------------------------------------------------------------


class _Message:
    """One message's facts, with what costs to compute (folded words, local times) done
    only when a rule asks and then once, whatever the number of rules asking."""

    __slots__ = ("_local", "_positions", "_words", "facts", "language")

    def __init__(self, facts: RuleFacts) -> None:
        self.facts = facts
        self.language = (facts.language or UNKNOWN_LANGUAGE).split("-")[0].lower()
        self._words: tuple[str, ...] | None = None
        self._positions: dict[str, list[int]] = {}
        self._local: dict[str, datetime | None] = {}

    def words(self) -> tuple[str, ...]:
        if self._words is None:
            self._words = tuple(tokens(fold(self.facts.text)))
            for index, word in enumerate(self._words):
                self._positions.setdefault(word, []).append(index)
        return self._words

    def contains(self, phrase: _CompiledPhrase) -> bool:
        words = self.words()
        first, size = phrase.words[0], len(phrase.words)
        if phrase.prefix_last and size == 1:
            return any(word.startswith(first) for word in self._positions)
        for start in self._positions.get(first, ()):
            candidate = words[start : start + size]
            if len(candidate) == size and candidate[:-1] == phrase.words[:-1]:
                last = candidate[-1]
                if last == phrase.words[-1] or (
                    phrase.prefix_last and last.startswith(phrase.words[-1])
                ):
                    return True
        return False

    def local(self, zone: ZoneInfo, key: str) -> datetime | None:
        if key not in self._local:
            try:
                self._local[key] = self.facts.at.astimezone(zone)
            except (OverflowError, ValueError):  # year 1 or 9999 pushed past the calendar
                self._local[key] = None
        return self._local[key]


@dataclass(frozen=True, slots=True)
class _CompiledPhrase:
    written: str  # as the rule's author wrote it, for the reasons
    words: tuple[str, ...]
    prefix_last: bool

    @classmethod
    def of(cls, phrase: str) -> _CompiledPhrase:
        return cls(phrase, tuple(tokens(fold(phrase.rstrip("*")))), phrase.endswith("*"))


@dataclass(frozen=True, slots=True)
class _CompiledWindow:
    tz: str
    zone: ZoneInfo
    days: frozenset[int]  # 0 = Monday
    start: int
    end: int
    label: str

    @classmethod
    def of(cls, window: TimeWindow) -> _CompiledWindow:
        days = frozenset(WEEKDAYS.index(day) for day in window.days)
        named = (
            "every day"
            if len(days) == len(WEEKDAYS)
            else ",".join(WEEKDAYS[d] for d in sorted(days))
        )
        return cls(
            tz=window.tz,
            zone=ZoneInfo(window.tz),
            days=days,
            start=minutes_after_midnight(window.start, allow_24=False),
            end=minutes_after_midnight(window.end, allow_24=True),
            label=f"{named} {window.start}-{window.end}",
        )

    def holds(self, message: _Message) -> str | None:
        local = message.local(self.zone, self.tz)
        if local is None:
            return None
        minute, day = local.hour * 60 + local.minute, local.weekday()
        if self.end > self.start:
            inside = day in self.days and self.start <= minute < self.end
        else:  # crosses midnight: the early hours belong to the day before
            inside = (day in self.days and minute >= self.start) or (
                (day - 1) % 7 in self.days and minute < self.end
            )
        if not inside:
            return None
        return f"{WEEKDAYS[day]} {local:%H:%M} {self.tz} within {self.label}"


@dataclass(frozen=True, slots=True)
class _CompiledConditions:
    when: Conditions
    phrases: tuple[_CompiledPhrase, ...]
    window: _CompiledWindow | None

    def holds(self, message: _Message) -> list[str] | None:
        """What made every condition hold, in words; None when one does not."""
        when, facts = self.when, message.facts
        said: list[str] = []
        if when.kinds is not None:
            if facts.kind not in when.kinds:
                return None
            said.append(f"kind {facts.kind}")
        if when.languages is not None:
            if message.language not in when.languages:
                return None
            said.append(f"language {message.language}")
        if when.networks is not None:
            if facts.network not in when.networks:
                return None
            said.append(f"network {facts.network}")
        if when.urgency_at_least is not None:
            if _RANK.get(facts.urgency, -1) < _RANK[when.urgency_at_least]:
                return None
            said.append(f"urgency {facts.urgency} (at least {when.urgency_at_least.value})")
        if when.customer_vip is not None:
            if facts.customer_vip != when.customer_vip:
                return None
            said.append("VIP customer" if facts.customer_vip else "not a VIP customer")
        if when.followers_at_least is not None:
            # An unknown audience is not a large one.
            if facts.followers is None or facts.followers < when.followers_at_least:
                return None
            said.append(f"{facts.followers} followers (at least {when.followers_at_least})")
        if when.personal_data is not None:
            if facts.personal_data != when.personal_data:
                return None
            said.append("personal data" if facts.personal_data else "no personal data")
        if when.topics_any is not None:
            present = when.topics_any & facts.topics
            if not present:
                return None
            said.append(_topics(present))
        if when.topics_all is not None:
            if not when.topics_all <= facts.topics:
                return None
            said.append(_topics(when.topics_all))
        if self.phrases:
            found = next((p for p in self.phrases if message.contains(p)), None)
            if found is None:
                return None
            said.append(f"text mentions '{found.written}'")
        if self.window is not None:
            inside = self.window.holds(message)
            if inside is None:
                return None
            said.append(inside)
        return said


def _topics(names: frozenset[str]) -> str:
    return f"topic{'s' if len(names) > 1 else ''} {', '.join(sorted(names))}"


@dataclass(frozen=True, slots=True)
class _CompiledRule:
    name: str
    conditions: _CompiledConditions
    then: Actions
    stop: bool


def _compile(book: RuleBook) -> tuple[_CompiledRule, ...]:
    """The enabled rules, with phrases folded, times parsed and zones loaded."""
    return tuple(
        _CompiledRule(
            name=rule.name,
            conditions=_CompiledConditions(
                when=rule.when,
                phrases=tuple(_CompiledPhrase.of(p) for p in rule.when.text_contains_any or ()),
                window=None if rule.when.time is None else _CompiledWindow.of(rule.when.time),
            ),
            then=rule.then,
            stop=rule.stop,
        )
        for rule in book.rules
        if rule.enabled
    )


@dataclass(slots=True)
class _Draft:
    """The outcome while the rules run; each setter says what it did, for the reasons."""

    urgency: str
    team: str | None = None
    priority: str | None = None
    tags: set[str] = field(default_factory=set)
    assign_to: str | None = None
    no_reply_needed: bool = False
    auto_acknowledge: str | None = None

    def apply(self, then: Actions) -> list[str]:
        did: list[str] = []
        if then.team is not None:
            did.append(_replacing("team", then.team, self.team))
            self.team = then.team
        if then.priority is not None:
            did.append(_replacing("priority", then.priority.value, self.priority))
            self.priority = then.priority.value
        if then.raise_priority_to is not None:
            did.append(self._raise(then.raise_priority_to.value))
        if then.tags is not None:
            did.append(f"tag{'s' if len(then.tags) > 1 else ''} {', '.join(sorted(then.tags))}")
            self.tags |= then.tags
        if then.assign_to is not None:
            did.append(_replacing("assign to", then.assign_to, self.assign_to))
            self.assign_to = then.assign_to
        if then.no_reply_needed is not None:
            did.append("no reply needed" if then.no_reply_needed else "reply needed")
            self.no_reply_needed = then.no_reply_needed
        if then.auto_acknowledge is not None:
            did.append(
                _replacing("auto-acknowledge with", then.auto_acknowledge, self.auto_acknowledge)
            )
            self.auto_acknowledge = then.auto_acknowledge
        return did

    def _raise(self, target: str) -> str:
        current = self.priority or self.urgency
        if current == target:
            return f"priority already {current}"
        if _RANK.get(current, -1) > _RANK[target]:
            return f"priority stays {current} (not lowered to {target})"
        self.priority = target
        known = current in _RANK
        return f"priority raised {f'from {current} ' if known else ''}to {target}"

    def outcome(self, fired: Sequence[str], reasons: Sequence[str]) -> RuleOutcome:
        return RuleOutcome(
            team=self.team,
            priority=self.priority,
            tags=frozenset(self.tags),
            assign_to=self.assign_to,
            no_reply_needed=self.no_reply_needed,
            auto_acknowledge=self.auto_acknowledge,
            fired=tuple(fired),
            reasons=tuple(reasons),
        )


def _replacing(action: str, value: str, earlier: str | None) -> str:
    if earlier is None or earlier == value:
        return f"{action} {value}"
    return f"{action} {value} (instead of {earlier})"


def _evaluate(rules: Sequence[_CompiledRule], facts: RuleFacts) -> RuleOutcome:
    message = _Message(facts)
    draft = _Draft(urgency=facts.urgency)
    fired: list[str] = []
    reasons: list[str] = []
    for rule in rules:
        because = rule.conditions.holds(message)
        if because is None:
            continue
        did = draft.apply(rule.then)
        reason = f"rule '{rule.name}': {', '.join(because) or 'any message'}"
        reason += f" -> {', '.join(did) or 'no action'}"
        fired.append(rule.name)
        if rule.stop:
            reasons.append(f"{reason}; stop: later rules are not evaluated")
            break
        reasons.append(reason)
    return draft.outcome(fired, reasons)


@dataclass(frozen=True, slots=True)
class RuleSubject:
    """A thread the rules look at: its facts, and whether someone already holds it (then a
    rule's team or assignee no longer applies)."""

    thread_id: int
    assigned: bool
    facts: RuleFacts
