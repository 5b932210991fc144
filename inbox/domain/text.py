"""Text that PostgreSQL can store: no NUL characters and no lone UTF-16 surrogates.

Networks send both (JSON allows `\\u0000` and unpaired `\\ud83d`); PostgreSQL rejects them in
text and jsonb, and one such message must not fail the batch that carries it.
"""

from __future__ import annotations

import re
from typing import Any

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def is_storable(text: str) -> bool:
    # Checked on every payload: the fast paths avoid a regex scan (several µs a kilobyte).
    if "\x00" in text:
        return False
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def storable(text: str) -> str:
    """The text with NUL removed and lone surrogates replaced by U+FFFD."""
    if is_storable(text):
        return text
    return _UNSTORABLE.sub(lambda m: "" if m.group() == "\x00" else REPLACEMENT, text)


def storable_json(value: Any) -> Any:
    """A copy of a JSON value whose keys and strings are all storable."""
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, dict):
        return {storable(str(k)): storable_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [storable_json(v) for v in value]
    return value
