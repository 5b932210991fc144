"""Internal notes: who a note names with @, so that they are told."""

from __future__ import annotations

import re

from inbox.domain.errors import ConfigurationError
from inbox.domain.text import is_storable

LONGEST_NOTE = 5000

# "@marie" or "@marie.dupont", not an e-mail address ("x@y") and not "@@".
_NAMED = re.compile(r"(?<![\w@.])@([A-Za-z0-9][A-Za-z0-9._-]{0,63})")


def named_in(text: str) -> frozenset[str]:
    """The lower-cased names a note calls with @, trailing punctuation dropped."""
    return frozenset(match.rstrip("._-").lower() for match in _NAMED.findall(text))


def handle_of(email: str, display_name: str) -> str:
    """How colleagues call a person in a note: their e-mail's local part."""
    local = email.split("@", 1)[0] if "@" in email else display_name.replace(" ", "")
    return local.lower()


def note_text(body: str) -> str:
    """A note's text as stored: trimmed, 1 to LONGEST_NOTE characters of plain text."""
    text = body.strip()
    if not text or len(text) > LONGEST_NOTE or not is_storable(text):
        raise ConfigurationError("note", f"1 to {LONGEST_NOTE} characters of plain text")
    return text
