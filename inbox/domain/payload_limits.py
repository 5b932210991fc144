"""What a network may send us, checked one message at a time before anything is stored.

Every connector, the file import and every webhook hand their mentions to `IngestMentions`,
which screens each one here against the limits below before its batch is classified and
written. A message that breaks a limit is either stored with the offending part neutralised
(the inbox's job is to get a customer's words to an agent) or, when no honest repair exists,
turned into a `RejectedPayload` of the same batch, whose error names the field. Either way the
other messages of the batch are untouched: one hostile payload never fails its batch.

- **Time.** `created_at` is what the network (or the author's client) claims. A claim more than
  `FUTURE_TOLERANCE` ahead of the arrival, or older than the network itself, is not believed:
  the arrival time stands for it (SLA clocks, threads and the outage detector all run on
  `created_at`) and the claim is kept in `Mention.claimed_at`. A far-future date would
  otherwise start clocks that never fall due and make the detector count into the future; a
  date before year 1 of the network is an error or a backdated import, never a fresh complaint.
- **Numbers in `raw`.** JSON has no NaN or Infinity, yet Python's parser accepts them and
  PostgreSQL's jsonb refuses them: they become the strings "NaN", "Infinity", "-Infinity".
  Integers beyond 64 bits survive jsonb but not the readers of the payload (JavaScript, the
  API's clients, Python's own 4,300-digit limit): they become their decimal string. Both
  repairs keep the value readable.
- **Depth of `raw`.** No network nests a payload 64 levels deep; such a payload is built to
  exhaust a parser's stack. It is quarantined, with the path where the bound was passed.
- **Text.** A mention's text is cut at `MAX_TEXT_CHARS` (X's longest posts are 25,000
  characters; Mastodon instances may raise their limit without end), with a marker saying how
  long it was. The whole text stays in `raw`, as the network sent it.
- **Media.** A message keeps at most `MAX_ATTACHMENTS` attachments (X allows 4 pictures,
  Mastodon 4, Bluesky 4, a Meta comment 1: more is no network's doing), the first ones. An
  attachment whose address is longer than `MAX_MEDIA_URL_CHARS` is left out (a cut address
  leads nowhere); a description longer than `MAX_ALT_TEXT_CHARS` (Mastodon's own limit for
  descriptions is 1,500) is cut, saying so. The payload keeps them all, as sent.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from inbox.domain.ingestion import RejectedPayload
from inbox.domain.media import MediaAttachment
from inbox.domain.mention import Mention
from inbox.domain.network import Network

# Clocks drift and networks stamp posts when the author's client says: a few minutes ahead is
# ordinary; more is a wrong clock or a forged date.
FUTURE_TOLERANCE = timedelta(minutes=5)
# The day each network opened to the public (a generic webhook source: the century's start).
NETWORK_BIRTH: Mapping[Network, datetime] = {
    Network.X: datetime(2006, 3, 21, tzinfo=UTC),
    Network.MASTODON: datetime(2016, 3, 16, tzinfo=UTC),
    Network.BLUESKY: datetime(2023, 2, 1, tzinfo=UTC),
    Network.FACEBOOK: datetime(2004, 2, 4, tzinfo=UTC),
    Network.INSTAGRAM: datetime(2010, 10, 6, tzinfo=UTC),
    Network.WEBHOOK: datetime(2000, 1, 1, tzinfo=UTC),
}
MAX_RAW_DEPTH = 64
MAX_TEXT_CHARS = 25_000
MAX_ATTACHMENTS = 10
# Browsers and CDNs handle addresses of a few thousand characters; a network's media address
# is a few hundred.
MAX_MEDIA_URL_CHARS = 2048
MAX_ALT_TEXT_CHARS = 1500
# Signed 64-bit: what every consumer of the payload can hold exactly (PostgreSQL bigint).
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
# Paths named in a log line or an error: enough to find the problem, not a flood.
_MAX_PATHS_NAMED = 3


# What a normaliser may still meet in a shape no model foresaw (a ValidationError is a
# ValueError, caught before with the field named): the item is kept aside with this reason,
# the rest of its page goes on.
UNFORESEEN = (ValueError, TypeError, OverflowError, RecursionError)


def unforeseen(error: BaseException) -> str:
    return f"unreadable ({type(error).__name__}: {str(error)[:200]})"


def network_birth(network: Network) -> datetime:
    return NETWORK_BIRTH.get(network, NETWORK_BIRTH[Network.WEBHOOK])


def believable(network: Network, claimed: datetime, arrived: datetime) -> bool:
    """Whether a claimed creation time can stand for the message (see the module's doc)."""
    return network_birth(network) <= claimed <= arrived + FUTURE_TOLERANCE


def truncated_text(text: str) -> str:
    """The text cut at MAX_TEXT_CHARS, saying so at the end."""
    if len(text) <= MAX_TEXT_CHARS:
        return text
    return f"{text[:MAX_TEXT_CHARS]}\n[… cut here: the message has {len(text):,} characters]"


@dataclass(slots=True)
class _RawFindings:
    too_deep: str | None = None
    non_finite: list[str] = field(default_factory=list)
    big_integers: list[str] = field(default_factory=list)

    @property
    def needs_repair(self) -> bool:
        return bool(self.non_finite or self.big_integers)


def _within_limits(value: Any, depth: int = 0) -> bool:
    """The quick look every payload gets (a few microseconds for a tweet): True when it holds
    no non-finite number, no integer beyond 64 bits and no nesting past the bound. Only a
    payload that fails it is walked again to name the paths. Loops, not all(): this runs on
    every node of every payload."""
    kind = type(value)
    if kind is dict or kind is list:
        if depth >= MAX_RAW_DEPTH:
            return False
        for item in value.values() if kind is dict else value:
            if type(item) is not str and not _within_limits(item, depth + 1):
                return False
        return True
    if kind is float:
        return math.isfinite(value)
    if kind is int:
        return bool(_INT64_MIN <= value <= _INT64_MAX)
    # Anything else but text, booleans and null (a tuple, a subclass) is left to the walk.
    return kind is str or kind is bool or value is None


def _inspect(value: Any, path: str, depth: int, found: _RawFindings) -> None:
    """Walks a JSON value; stops descending past MAX_RAW_DEPTH, so its own depth is bounded."""
    if isinstance(value, dict):
        if depth >= MAX_RAW_DEPTH:
            found.too_deep = found.too_deep or path
            return
        for key, item in value.items():
            _inspect(item, f"{path}.{key}", depth + 1, found)
    elif isinstance(value, list | tuple):
        if depth >= MAX_RAW_DEPTH:
            found.too_deep = found.too_deep or path
            return
        for index, item in enumerate(value):
            _inspect(item, f"{path}[{index}]", depth + 1, found)
    elif isinstance(value, float):
        if not math.isfinite(value):
            found.non_finite.append(path)
    elif _beyond_64_bits(value):
        found.big_integers.append(path)


def _repaired(value: Any) -> Any:
    """A copy with non-finite numbers and integers beyond 64 bits as strings (depth already
    checked: the recursion is bounded by MAX_RAW_DEPTH)."""
    if isinstance(value, dict):
        return {key: _repaired(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_repaired(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if _beyond_64_bits(value):
        return _integer_text(value)
    return value


def _beyond_64_bits(value: Any) -> bool:
    return (
        isinstance(value, int)
        and not isinstance(value, bool)
        and not _INT64_MIN <= value <= _INT64_MAX
    )


def _integer_text(value: int) -> str:
    try:
        return str(value)
    except ValueError:  # beyond Python's int-to-string limit: its size is all that is shown
        return f"an integer of {value.bit_length()} bits"


def _named(paths: list[str]) -> str:
    shown = ", ".join(paths[:_MAX_PATHS_NAMED])
    more = len(paths) - _MAX_PATHS_NAMED
    return f"{shown} and {more} more" if more > 0 else shown


def payload_bytes(value: Any) -> bytes:
    """A payload as the bytes kept in quarantine, whatever it holds."""
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=repr)
    except (ValueError, RecursionError):
        text = json.dumps({"unencodable": type(value).__name__})
    return text.encode("utf-8", "surrogatepass")


@dataclass(frozen=True, slots=True)
class Screened:
    """One mention after screening: the mention to store (maybe repaired) or its reject, and
    what was changed, for the log."""

    mention: Mention | None
    rejected: RejectedPayload | None = None
    changes: tuple[str, ...] = ()


def screen_mention(mention: Mention, arrived: datetime) -> Screened:
    """Checks one mention against the limits; never raises on what a network can send."""
    label = f"{mention.network.value} {mention.external_id}"
    found = _RawFindings()
    if not _within_limits(mention.raw):
        _inspect(mention.raw, "raw", 0, found)
    if found.too_deep is not None:
        error = f"{label}: {found.too_deep}: nested deeper than {MAX_RAW_DEPTH} levels"
        return Screened(
            None, RejectedPayload(mention.network.value, payload_bytes(mention.raw), error)
        )
    changes: list[str] = []
    update: dict[str, Any] = {}
    if not believable(mention.network, mention.created_at, arrived):
        update["created_at"] = arrived
        update["claimed_at"] = mention.created_at
        changes.append(
            f"created_at: {mention.created_at.isoformat()} is not believable for "
            f"{mention.network.value} (more than {_minutes(FUTURE_TOLERANCE)} ahead or before "
            f"{network_birth(mention.network).date().isoformat()}); the arrival time stands "
            "for it"
        )
    if found.needs_repair:
        update["raw"] = _repaired(mention.raw)
        if found.non_finite:
            changes.append(f"{_named(found.non_finite)}: not a finite number, kept as text")
        if found.big_integers:
            changes.append(f"{_named(found.big_integers)}: an integer beyond 64 bits, kept as text")
    if len(mention.text) > MAX_TEXT_CHARS:
        update["text"] = truncated_text(mention.text)
        changes.append(f"text: {len(mention.text):,} characters, cut at {MAX_TEXT_CHARS:,}")
    if mention.media:
        media, media_changes = screened_media(mention.media)
        if media_changes:
            update["media"] = media
            changes.extend(media_changes)
    if not update:
        return Screened(mention)
    return Screened(mention.model_copy(update=update), None, tuple(changes))


def screened_media(
    media: tuple[MediaAttachment, ...],
) -> tuple[tuple[MediaAttachment, ...], tuple[str, ...]]:
    """The attachments within the bounds (see the module's doc), and what was changed."""
    changes: list[str] = []
    kept: list[MediaAttachment] = []
    for index, item in enumerate(media[:MAX_ATTACHMENTS]):
        if len(item.url) > MAX_MEDIA_URL_CHARS:
            changes.append(
                f"media[{index}].url: {len(item.url):,} characters, more than "
                f"{MAX_MEDIA_URL_CHARS:,}: left out"
            )
            continue
        update: dict[str, Any] = {}
        if item.preview_url is not None and len(item.preview_url) > MAX_MEDIA_URL_CHARS:
            update["preview_url"] = None
            changes.append(f"media[{index}].preview_url: longer than {MAX_MEDIA_URL_CHARS:,}")
        if item.alt_text is not None and len(item.alt_text) > MAX_ALT_TEXT_CHARS:
            update["alt_text"] = f"{item.alt_text[:MAX_ALT_TEXT_CHARS]}…"
            changes.append(
                f"media[{index}].alt_text: {len(item.alt_text):,} characters, cut at "
                f"{MAX_ALT_TEXT_CHARS:,}"
            )
        kept.append(item.model_copy(update=update) if update else item)
    if len(media) > MAX_ATTACHMENTS:
        changes.append(f"media: {len(media)} attachments, the first {MAX_ATTACHMENTS} kept")
    return tuple(kept), tuple(changes)


def _minutes(span: timedelta) -> str:
    return f"{int(span.total_seconds() // 60)} minutes"
