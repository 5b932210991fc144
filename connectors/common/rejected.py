"""What a normaliser keeps of a payload that cannot become a mention: the payload itself,
as JSON bytes, and a short reason that names the fields at fault. Nothing is dropped: the
store quarantines both."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import ValidationError

from inbox.domain.ingestion import RejectedPayload
from inbox.domain.mention import Mention
from inbox.domain.payload_limits import UNFORESEEN, unforeseen

# An item's id in a reason is network text: bounded.
LABEL_CHARS = 80


def quarantined(source: str, payload: Any, reason: str) -> RejectedPayload:
    """`payload`, as JSON bytes, for the quarantine, with why it was refused."""
    return RejectedPayload(source, _json_bytes(payload), reason)


def _json_bytes(value: Any) -> bytes:
    """Compact JSON; `surrogatepass` keeps a lone surrogate a network sent (JSON allows
    `\\ud800`) rather than failing on the very payload being quarantined."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode(
        "utf-8", "surrogatepass"
    )


def validation_reason(error: ValidationError, what: str) -> str:
    """The first three problems, each at its field's path (`what` for the payload as a
    whole); never the offending values, which are network text."""
    parts = []
    for item in error.errors(include_url=False, include_input=False)[:3]:
        where = ".".join(str(p) for p in item["loc"]) or what
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def normalised_each(
    items: Sequence[Any],
    normalise: Callable[[dict[str, Any]], Mention],
    *,
    source: str,
    kind: str,
) -> tuple[list[Mention], list[RejectedPayload]]:
    """Every item of a page as a mention, or quarantined with a reason that names it (`kind`
    and its id, else its position): one bad item never costs the others their place."""
    mentions: list[Mention] = []
    rejected: list[RejectedPayload] = []
    for position, item in enumerate(items):
        if not isinstance(item, dict):
            error = f"{kind} {position}: a JSON {type(item).__name__}, not an object"
            rejected.append(quarantined(source, item, error))
            continue
        given = item.get("id")
        label = given[:LABEL_CHARS] if isinstance(given, str) else position
        try:
            mentions.append(normalise(item))
        except ValidationError as exc:
            error = f"{kind} {label}: {validation_reason(exc, kind)}"
            rejected.append(quarantined(source, item, error))
        except UNFORESEEN as exc:
            error = f"{kind} {label}: {unforeseen(exc)}"
            rejected.append(quarantined(source, item, error))
    return mentions, rejected
