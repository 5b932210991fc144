"""A customer's rights: access (everything held about a person, as a JSON document and a
readable page) and erasure (their texts and names gone, their counts and timings kept under
a pseudonym). Pure: the export's sections and how each is written, the pseudonym, the
tombstone key of an erased identity, and what an erasure reports."""

from __future__ import annotations

import hashlib
import html
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from inbox.domain.errors import ConflictError

PSEUDONYM_PREFIX = "erased-"


class Section(StrEnum):
    """A kind of data held about a person, in the order the export lists them."""

    CUSTOMER = "customer"
    IDENTITIES = "identities"
    THREADS = "threads"
    MESSAGES = "messages"  # with their texts and the networks' raw payloads
    CLASSIFICATIONS = "classifications"
    CORRECTIONS = "classification_corrections"  # with the text that was classified
    CUSTOMER_NOTES = "customer_notes"
    THREAD_NOTES = "thread_notes"
    ASSIGNMENTS = "assignments"
    SLA_CLOCKS = "sla_clocks"
    OUTBOX = "outbox"
    COMMUNITY_ANSWERS = "community_answers"
    CLOSURES = "closures"
    THREAD_EVENTS = "thread_events"
    QUARANTINE = "quarantine"  # payloads that could not be read and name their identities
    MERGE_HISTORY = "merge_history"  # merges and splits, with the records as they were

    @property
    def heading(self) -> str:
        return SECTION_TITLES[self]


SECTION_TITLES = {
    Section.CUSTOMER: "The customer record",
    Section.IDENTITIES: "Accounts on the networks",
    Section.THREADS: "Conversations",
    Section.MESSAGES: "Messages, with what each network sent",
    Section.CLASSIFICATIONS: "How each message was classified",
    Section.CORRECTIONS: "Classifications corrected by the team",
    Section.CUSTOMER_NOTES: "Notes about the customer",
    Section.THREAD_NOTES: "Notes on their conversations",
    Section.ASSIGNMENTS: "Who their conversations were given to",
    Section.SLA_CLOCKS: "Response-time clocks",
    Section.OUTBOX: "Replies and messages sent to them",
    Section.COMMUNITY_ANSWERS: "Answers community members wrote to them",
    Section.CLOSURES: "Conversations closed without a reply",
    Section.THREAD_EVENTS: "Events sent to other tools",
    Section.QUARANTINE: "Payloads that could not be read",
    Section.MERGE_HISTORY: "Merges and splits of their record",
}


class AlreadyErasedError(ConflictError):
    """The customer was erased before: there is nothing of theirs left to erase."""

    def __init__(self, customer_id: int, pseudonym: str) -> None:
        super().__init__(f"customer {customer_id} was already erased (now {pseudonym})")
        self.customer_id = customer_id
        self.pseudonym = pseudonym


class MergedCustomerError(ConflictError):
    """The customer was merged into another: their data is that customer's now."""

    def __init__(self, customer_id: int, merged_into_id: int) -> None:
        super().__init__(
            f"customer {customer_id} was merged into customer {merged_into_id}: "
            f"export or erase customer {merged_into_id}"
        )
        self.customer_id = customer_id
        self.merged_into_id = merged_into_id


@dataclass(frozen=True, slots=True)
class Erasure:
    """What an erasure did, as it is recorded: no name, no handle, no text. `counts` says how
    many rows of each kind were emptied or removed."""

    erasure_id: int
    customer_id: int
    pseudonym: str
    erased_by: str
    erased_at: datetime
    counts: Mapping[str, int] = field(default_factory=dict)


def new_pseudonym() -> str:
    """The name an erased customer carries: random, so it says nothing of who they were and
    cannot be recomputed from anything they gave."""
    return PSEUDONYM_PREFIX + secrets.token_hex(5)


def identity_key_hash(workspace_id: int, network: str, external_user_id: str) -> bytes:
    """The tombstone of an erased network identity (the store computes the same in SQL):
    whoever already knows the account can check it was erased; nobody can read it back."""
    return hashlib.sha256(f"{workspace_id}\n{network}\n{external_user_id}".encode()).digest()


def export_file_names(customer_id: int) -> tuple[str, str]:
    """The JSON document and the readable page inside the export's zip file."""
    return f"customer-{customer_id}.json", f"customer-{customer_id}.html"


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)


def html_start(customer_id: int, generated_at: datetime) -> str:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Everything held about customer {customer_id}</title>"
        "<style>body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:60rem;"
        "padding:0 1rem}table{border-collapse:collapse;margin:.5rem 0 1.5rem}"
        "td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}"
        "pre{white-space:pre-wrap;margin:0;max-width:40rem;overflow-wrap:anywhere}</style>"
        "</head><body>\n"
        f"<h1>Everything held about customer {customer_id}</h1>\n"
        f"<p>Produced on {html.escape(generated_at.isoformat())}. The same data, complete, is "
        "in the JSON document beside this page.</p>\n"
    )


def html_section_start(section: Section) -> str:
    return f'<section id="{section.value}"><h2>{html.escape(section.heading)}</h2>\n'


def html_row(row: Mapping[str, object]) -> str:
    """One row as a small table of its fields; every value escaped (network text is
    untrusted, even in a file the person opens themselves)."""
    cells = "".join(
        f"<tr><th>{html.escape(name)}</th><td>{_html_value(value)}</td></tr>"
        for name, value in row.items()
    )
    return f"<table>{cells}</table>\n"


def _html_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return f"<pre>{html.escape(value)}</pre>"
    if isinstance(value, datetime):
        return html.escape(value.isoformat())
    if isinstance(value, bool | int | float):
        return html.escape(str(value))
    return f"<pre>{html.escape(json.dumps(value, default=_plain, ensure_ascii=False))}</pre>"


def html_section_end(count: int) -> str:
    return ("<p>Nothing.</p>\n" if count == 0 else "") + "</section>\n"


HTML_END = "</body></html>\n"
