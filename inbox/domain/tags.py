"""Tags on threads: short labels agents and routing rules put on them, one set per thread
(`thread.tags`), shown as chips and filtered on."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from inbox.domain.errors import ConfigurationError

LONGEST_TAG = 40
MOST_TAGS = 20  # on one thread


def checked_tag(value: str) -> str:
    """The tag as stored: spaces collapsed, lower case (so that `Billing` and `billing` are
    one tag), or a ConfigurationError naming the field and the reason."""
    tag = " ".join(unicodedata.normalize("NFC", value).split()).lower()
    if not tag:
        raise ConfigurationError("tag", "write a tag")
    if len(tag) > LONGEST_TAG:
        raise ConfigurationError("tag", f"at most {LONGEST_TAG} characters")
    if not all(ch.isalnum() or ch in " -_.:/&+'" for ch in tag):
        raise ConfigurationError("tag", "letters, digits, spaces and - _ . : / & + ' only")
    return tag


def checked_tags(values: Iterable[str]) -> tuple[str, ...]:
    tags = sorted({checked_tag(v) for v in values})
    if len(tags) > MOST_TAGS:
        raise ConfigurationError("tags", f"at most {MOST_TAGS} on a thread")
    return tuple(tags)
