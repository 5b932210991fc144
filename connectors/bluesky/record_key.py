"""Record keys (TIDs) for posts, and the one each outbox item always posts under.

A post's record key must be a TID: 13 characters of base32 ("234567a-z", sortable) encoding
a 64-bit number whose top bit is 0, then 53 bits of microseconds since the Unix epoch, then
a 10-bit clock identifier. A PDS accepts a key chosen by the client.

Choosing it from the outbox item makes a reply idempotent on the network: every attempt to
send one item writes to the same address in the brand's repository, so a retry after a
crash cannot make a second post, and `getRecord` on that key tells whether an earlier
attempt got through. The key's timestamp is the item's creation time to the millisecond,
with the item's id folded into the sub-millisecond digits and the clock identifier, so two
items never share a key unless they were created in the same millisecond and their ids are
equal modulo 1,024,000.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
TID_LENGTH = 13
_TID = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
_CLOCK_IDS = 1024
_MICROSECONDS_LIMIT = 1 << 53


def encode_tid(microseconds: int, clock_id: int) -> str:
    if not 0 <= microseconds < _MICROSECONDS_LIMIT:
        raise ValueError("a TID's timestamp is 53 bits of microseconds since the epoch")
    if not 0 <= clock_id < _CLOCK_IDS:
        raise ValueError("a TID's clock identifier is 10 bits")
    number = (microseconds << 10) | clock_id
    characters = []
    for _ in range(TID_LENGTH):
        characters.append(ALPHABET[number & 31])
        number >>= 5
    return "".join(reversed(characters))


def decode_tid(tid: str) -> tuple[int, int]:
    """(microseconds, clock identifier); ValueError when it is not a TID."""
    if not is_tid(tid):
        raise ValueError(f"{tid!r} is not a TID")
    number = 0
    for character in tid:
        number = (number << 5) | ALPHABET.index(character)
    return number >> 10, number & (_CLOCK_IDS - 1)


def is_tid(value: str) -> bool:
    return bool(_TID.match(value))


def outbox_record_key(item_id: int, created_at: datetime) -> str:
    """The record key every attempt to send outbox item `item_id` posts under."""
    if created_at.tzinfo is None:
        raise ValueError("created_at must be aware")
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    elapsed = created_at - epoch
    milliseconds = (elapsed.days * 86_400 + elapsed.seconds) * 1000 + elapsed.microseconds // 1000
    microseconds = milliseconds * 1000 + item_id % 1000
    return encode_tid(microseconds, (item_id // 1000) % _CLOCK_IDS)
