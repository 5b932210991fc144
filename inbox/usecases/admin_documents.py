"""The checks every document edited whole on the admin pages (the SLA policy book, the
routing rules) passes besides its own: a size, before it is parsed, and text Postgres can
store, after. Each refusal names the document's field as its page calls it."""

from __future__ import annotations

from inbox.domain.errors import ConfigurationError
from inbox.domain.text import storable_json

LONGEST_DOCUMENT = 200_000


def check_length(text: str, field: str) -> None:
    if len(text) > LONGEST_DOCUMENT:
        raise ConfigurationError(field, f"at most {LONGEST_DOCUMENT} characters")


def check_storable(document: dict[str, object], field: str) -> None:
    # jsonb refuses NUL characters and lone surrogates: refused here, they name the field
    # instead of failing the save with a server error.
    if storable_json(document) != document:
        raise ConfigurationError(field, "no NUL characters or lone surrogates")
