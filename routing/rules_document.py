"""A workspace's routing rules as written: the document's schema, its checks, and the
messages that name the rule and the field of each problem.

A workspace writes its rules in JSON or YAML (the caller parses it; `RuleBook.parse` takes the
resulting objects): ordered rules, each a `when` (conditions), a `then` (actions) and `stop`.
What the rules decide for a message is `routing.rules`.

Phrases (`text_contains_any`) must hold words: they are matched on folded tokens
(`routing.cues`), and a phrase of handles and links alone would never match. Times are
"HH:MM" in an IANA zone; "24:00" only ends a window.

Pure: no clock, no I/O. Documents are refused with `RuleError`, whose message names the rule
and the field: a typo must not silently turn a rule into one that never fires.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from inbox.domain.errors import InboxError
from inbox.domain.network import Network
from inbox.domain.thread import Priority
from routing.cues import fold, tokens

Kind = Literal["complaint", "question", "praise", "other"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PRIORITY_ORDER = (Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT)
UNKNOWN_LANGUAGE = "unknown"  # what `languages` says to match a message of no known language
MINUTES_PER_DAY = 24 * 60

_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}")
_HH_MM = re.compile(r"(\d{1,2}):(\d\d)")
# Loose on purpose: the address only has to name an agent of the workspace, which the caller
# checks; this catches a team name or a handle typed into the wrong field.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class RuleError(InboxError, ValueError):
    """A rules document that cannot be used; `problems` lists each, naming rule and field.

    Also a `ValueError`, as it always was: callers that catch bad input by that name still do."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(self.problems))


def _language_code(code: str) -> str:
    if code != UNKNOWN_LANGUAGE and not _LANGUAGE_CODE.fullmatch(code):
        raise ValueError(
            f"{code!r} is not a language code: two or three letters (fr, en), or 'unknown'"
        )
    return code


def _phrase(phrase: str) -> str:
    if not tokens(fold(phrase.rstrip("*"))):
        raise ValueError(f"{phrase!r} has no words to look for (handles and links are ignored)")
    return phrase


def _email(address: str) -> str:
    if not _EMAIL.fullmatch(address):
        raise ValueError(f"{address!r} is not an e-mail address")
    return address


Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
LanguageCode = Annotated[
    str, StringConstraints(strip_whitespace=True, to_lower=True), AfterValidator(_language_code)
]
Phrase = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=200), AfterValidator(_phrase)
]
Email = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=254), AfterValidator(_email)
]


def minutes_after_midnight(text: str, *, allow_24: bool) -> int:
    """Minutes after midnight of "HH:MM"; "24:00" only as the end of a window."""
    found = _HH_MM.fullmatch(text)
    if found is None:
        raise ValueError(f"{text!r} is not a time in HH:MM form")
    hours, minutes = int(found[1]), int(found[2])
    if allow_24 and (hours, minutes) == (24, 0):
        return MINUTES_PER_DAY
    if hours > 23 or minutes > 59:
        raise ValueError(f"{text!r} is not a time of day")
    return hours * 60 + minutes


class TimeWindow(BaseModel):
    """Local wall-clock `[from, to)` on the given days (all seven when left out)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tz: str
    days: Annotated[frozenset[Weekday], Field(min_length=1)] = frozenset(WEEKDAYS)
    start: str = Field(alias="from")
    end: str = Field(alias="to")

    @field_validator("tz")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
            raise ValueError(f"{value!r} is not an IANA time zone (Europe/Paris, UTC)") from exc
        return value

    @field_validator("start", "end", mode="before")
    @classmethod
    def _quoted_time(cls, value: object) -> object:
        # YAML 1.1 reads an unquoted 18:30 as the base-60 number 1110: say so, not "not text".
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            as_written = f"{value // 60}:{value % 60:02d}"
            raise ValueError(
                f'write the time in quotes ("{as_written}"): YAML reads {as_written} '
                "unquoted as a number"
            )
        return value

    @field_validator("start")
    @classmethod
    def _start_time(cls, value: str) -> str:
        minutes_after_midnight(value, allow_24=False)
        return value

    @field_validator("end")
    @classmethod
    def _end_time(cls, value: str) -> str:
        minutes_after_midnight(value, allow_24=True)
        return value


NonEmpty = Field(min_length=1)


class Conditions(BaseModel):
    """Every condition given must hold; none given matches every message."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kinds: Annotated[frozenset[Kind], NonEmpty] | None = None
    languages: Annotated[frozenset[LanguageCode], NonEmpty] | None = None
    topics_any: Annotated[frozenset[Label], NonEmpty] | None = None
    topics_all: Annotated[frozenset[Label], NonEmpty] | None = None
    urgency_at_least: Priority | None = None
    networks: Annotated[frozenset[Network], NonEmpty] | None = None
    customer_vip: bool | None = None
    followers_at_least: Annotated[int, Field(ge=0)] | None = None
    personal_data: bool | None = None
    text_contains_any: Annotated[tuple[Phrase, ...], NonEmpty] | None = None
    time: TimeWindow | None = None


class Actions(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    team: Label | None = None
    priority: Priority | None = None  # sets it, up or down
    raise_priority_to: Priority | None = None  # sets it only when that is higher
    tags: Annotated[frozenset[Label], NonEmpty] | None = None
    assign_to: Email | None = None
    no_reply_needed: bool | None = None  # true closes the SLA clock as excluded
    auto_acknowledge: Label | None = None  # the name of an acknowledgement template

    @model_validator(mode="after")
    def _one_way_to_set_priority(self) -> Actions:
        if self.priority is not None and self.raise_priority_to is not None:
            raise ValueError("give priority or raise_priority_to, not both")
        return self


class Rule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Label
    enabled: bool = True
    when: Conditions = Conditions()
    then: Actions = Actions()
    stop: bool = False  # when the rule fires, no later rule is evaluated


# Every rule is looked at for every inbound message: a few dozen is typical.
MAX_RULES = 500


class RuleBook(BaseModel):
    """A workspace's rules, in the order they are evaluated."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rules: tuple[Rule, ...] = Field(default=(), max_length=MAX_RULES)

    @model_validator(mode="after")
    def _unique_names(self) -> RuleBook:
        # Names key the fired counts and the reasons: "VIP" and "vip" would read as one rule.
        first: dict[str, int] = {}
        for number, rule in enumerate(self.rules, start=1):
            earlier = first.setdefault(rule.name.casefold(), number)
            if earlier != number:
                raise ValueError(
                    f"rule {number} ('{rule.name}'): name: already used by rule {earlier}"
                )
        return self

    @classmethod
    def parse(cls, document: object) -> RuleBook:
        """A rules document as parsed from JSON or YAML: `{"rules": [...]}` or the list alone."""
        if isinstance(document, list | tuple):
            document = {"rules": document}
        if not isinstance(document, Mapping):
            raise RuleError(
                [
                    "the rules document must be an object with a 'rules' list, or that list "
                    f"(got {type(document).__name__}; parse the JSON or YAML first)"
                ]
            )
        try:
            return cls.model_validate(document)
        except ValidationError as exc:
            raise RuleError(_problems(exc, document)) from exc


# --- Readable validation errors -----------------------------------------------------------

# The model whose fields are valid at a path inside a rule (list positions left out), for
# "unknown field" messages that list the right names.
_FIELDS_AT: dict[tuple[str, ...], type[BaseModel]] = {
    (): Rule,
    ("when",): Conditions,
    ("then",): Actions,
    ("when", "time"): TimeWindow,
}


def _field_names(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def _problems(error: ValidationError, document: Mapping[str, object]) -> list[str]:
    raw_rules = document.get("rules")
    details = error.errors(include_url=False)
    problems = []
    for detail in details:
        location = detail["loc"]
        if detail["type"] == "too_short" and any(
            other["loc"][: len(location)] == location and len(other["loc"]) > len(location)
            for other in details
        ):
            continue  # a list is "empty" only because its items were refused: say that
        if len(location) >= 2 and location[0] == "rules" and isinstance(location[1], int):
            where = _rule_label(location[1], raw_rules)
            inside: tuple[str | int, ...] = location[2:]
        else:
            where, inside = "", location
        names = tuple(part for part in inside if isinstance(part, str))
        path = ".".join(names)
        message = _message(detail, names, top_level=not where)
        if inside and isinstance(inside[-1], int) and detail["type"] != "value_error":
            message = f"{detail['input']!r} {message}"  # an item of a list: say which
        problems.append(": ".join(part for part in (where, path, message) if part))
    return problems


def _rule_label(index: int, raw_rules: object) -> str:
    label = f"rule {index + 1}"
    if isinstance(raw_rules, list | tuple) and index < len(raw_rules):
        raw = raw_rules[index]
        name = raw.get("name") if isinstance(raw, Mapping) else None
        if isinstance(name, str) and name.strip():
            label += f" ('{name.strip()}')"
    return label


def _message(detail: ErrorDetails, path: tuple[str, ...], *, top_level: bool) -> str:
    kind = detail["type"]
    context = detail.get("ctx", {})
    if kind == "extra_forbidden":
        model = RuleBook if top_level else _FIELDS_AT.get(path[:-1])
        if model is None:
            return "unknown field"
        known = _field_names(model)
        close = difflib.get_close_matches(path[-1], known, n=1)
        if close:
            return f"unknown field, did you mean {close[0]}?"
        return f"unknown field (the fields are {', '.join(known)})"
    if kind in ("literal_error", "enum"):
        options = re.findall(r"'([^']*)'", str(context.get("expected", "")))
        return f"must be one of {', '.join(options)}"
    if kind == "value_error":
        return str(context.get("error", detail["msg"]))
    if kind == "too_long":
        return f"at most {context.get('max_length')} of them"
    if kind == "string_type" and isinstance(detail["input"], bool):
        return "must be text (YAML reads yes, no, on and off unquoted as true or false: quote it)"
    return _PLAIN.get(kind, detail["msg"])


_PLAIN = {
    "missing": "is required",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "greater_than_equal": "must not be negative",
    "string_type": "must be text",
    "string_too_short": "must not be empty",
    "string_too_long": "is too long",
    "too_short": "must not be empty (leave it out instead)",
    "list_type": "must be a list",
    "tuple_type": "must be a list",
    "set_type": "must be a list",
    "frozen_set_type": "must be a list",
    "set_item_not_hashable": "must be a list of texts",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "dict_type": "must be an object",
}
