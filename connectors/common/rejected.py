"""What a normaliser keeps of a payload that cannot become a mention: the payload itself,
as JSON bytes, and a short reason that names the fields at fault. Nothing is dropped: the
store quarantines both."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from inbox.domain.ingestion import RejectedPayload


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
