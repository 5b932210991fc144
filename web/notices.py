"""What a page says after an action that sent the person back to it ("3 assigned to Léa; 1
skipped: already resolved"): the sentence travels in the address, signed for the person's
session, so that a link made elsewhere cannot put words on their page."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import urlencode

from inbox.domain.web import WebSession

LONGEST = 300


def _signature(session: WebSession, text: str) -> str:
    key = session.csrf_token.encode()
    return hmac.new(key, b"notice:" + text.encode(), hashlib.sha256).hexdigest()[:32]


def notice_query(session: WebSession, text: str) -> str:
    """`said=...&sig=...` to append to the address the person is sent back to."""
    text = text[:LONGEST]
    return urlencode({"said": text, "sig": _signature(session, text)})


def said(query: Mapping[str, str], session: WebSession) -> str | None:
    """The sentence of the address, if this session signed it."""
    text = query.get("said", "")[:LONGEST]
    sent = query.get("sig", "")
    if not text or not hmac.compare_digest(sent.encode(), _signature(session, text).encode()):
        return None
    return text
