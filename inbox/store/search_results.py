"""Search's rows as the page shows them: each thread with the words around its match marked,
each customer with their handles."""

from __future__ import annotations

import re
from typing import Any

from inbox.domain.web import FoundCustomer, FoundThread

# The marks `thread_search` asks `ts_headline` to put around each word found.
_OPEN, _CLOSE = "\x01", "\x02"
_MARK = re.compile(f"([{_OPEN}{_CLOSE}])")


# How much of the matching message a result shows around its first match, in characters:
# two lines of the results' column; the thread itself has the rest.
EXCERPT_CHARS = 200
LEAD_IN_CHARS = 60  # before the first match, for its context


def found_thread(row: Any) -> FoundThread:
    """A row of `inbox.store.thread_search.search_threads` as the page shows it."""
    marked = row["marked"]
    return FoundThread(
        thread_id=row["id"],
        network=row["network"],
        status=row["status"],
        latest=row["latest"],
        excerpt=excerpt(marked) if marked is not None else ((row["excerpt"], False),),
        author_handle=row["author_handle"],
        author_name=row["author_name"],
        assignee=row["assignee"],
        from_brand=row["hit_direction"] == "outbound",
    )


def excerpt(marked: str) -> tuple[tuple[str, bool], ...]:
    """The words of one marked message around its first match, as pieces saying whether each
    is a word searched, cut to `EXCERPT_CHARS` on word boundaries."""
    text, found = _unmarked(marked)
    first = found[0][0] if found else 0
    # a long token (an address) before the match keeps the cut inside it rather than skip it
    start = min(_word_start(text, max(0, first - LEAD_IN_CHARS)), first)
    end = _word_end(text, min(len(text), start + EXCERPT_CHARS))
    pieces: list[tuple[str, bool]] = [("…", False)] if start > 0 else []
    at = start
    for match_start, match_end in found:
        match_start, match_end = max(match_start, start), min(match_end, end)
        if match_start >= match_end:
            continue
        if at < match_start:
            pieces.append((text[at:match_start], False))
        pieces.append((text[match_start:match_end], True))
        at = match_end
    if at < end:
        pieces.append((text[at:end], False))
    if end < len(text):
        pieces.append(("…", False))
    return tuple(pieces)


def _unmarked(marked: str) -> tuple[str, list[tuple[int, int]]]:
    """The text without its marks, and the spans (start, end) that were marked."""
    text: list[str] = []
    found: list[tuple[int, int]] = []
    length, opened = 0, -1
    for part in _MARK.split(marked):
        if part == _OPEN:
            opened = length
        elif part == _CLOSE:
            if opened >= 0 and length > opened:
                found.append((opened, length))
            opened = -1
        else:
            text.append(part)
            length += len(part)
    return "".join(text), found


def _word_start(text: str, at: int) -> int:
    """`at`, moved forward past a word cut in two (to the start of the next)."""
    if at == 0 or text[at - 1] == " ":
        return at
    space = text.find(" ", at)
    return at if space == -1 else space + 1


def _word_end(text: str, at: int) -> int:
    """`at`, moved back before a word cut in two."""
    if at >= len(text) or text[at] == " ":
        return at
    space = text.rfind(" ", 0, at)
    return at if space <= 0 else space


def found_customer(row: Any) -> FoundCustomer:
    """A customer found by name or handle, their identities read as "network:handle"."""
    identities = (identity.partition(":") for identity in row["identities"] or ())
    return FoundCustomer(
        customer_id=row["id"],
        name=row["display_name"] or "",
        identities=tuple((network, handle) for network, _, handle in identities),
        latest_thread=row["latest_thread"],
    )
