"""Post text as Bluesky measures and annotates it: graphemes and facets.

Bluesky limits a post to 300 graphemes (what a reader counts as characters: an emoji family
or a letter with its accent is one) and 3,000 bytes of UTF-8. A mention or a link is only a
mention or a link when a facet says so, and facets address the text by UTF-8 byte offsets.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import regex

MAX_GRAPHEMES = 300
MAX_BYTES = 3000
_GRAPHEME = regex.compile(r"\X")
# A link runs to the next space; closing punctuation that ends a sentence is not part of it.
_LINK = regex.compile(r"https?://[^\s]+")
_TRAILING = ".,;:!?)]}'\""


def grapheme_count(text: str) -> int:
    return len(_GRAPHEME.findall(text))


def too_long(text: str) -> str | None:
    """Why Bluesky would refuse this text as a post, or None."""
    graphemes = grapheme_count(text)
    if graphemes > MAX_GRAPHEMES:
        return f"the post is {graphemes} characters; Bluesky accepts {MAX_GRAPHEMES}"
    size = len(text.encode("utf-8"))
    if size > MAX_BYTES:
        return f"the post is {size} bytes; Bluesky accepts {MAX_BYTES}"
    return None


def _byte_slice(text: str, start: int, end: int) -> dict[str, int]:
    byte_start = len(text[:start].encode("utf-8"))
    return {"byteStart": byte_start, "byteEnd": byte_start + len(text[start:end].encode("utf-8"))}


def facets(text: str, mentioned: Mapping[str, str]) -> list[dict[str, Any]]:
    """Mention facets for each `@handle` of `mentioned` (handle -> DID) and link facets for
    each http(s) URL, in text order."""
    found: list[tuple[int, dict[str, Any]]] = []
    for handle, did in mentioned.items():
        pattern = regex.compile(rf"(?<![\w@.]){regex.escape('@' + handle)}(?![\w.-])", regex.I)
        for match in pattern.finditer(text):
            feature = {"$type": "app.bsky.richtext.facet#mention", "did": did}
            found.append((match.start(), _facet(text, match.start(), match.end(), feature)))
    for match in _LINK.finditer(text):
        url = match.group(0).rstrip(_TRAILING)
        end = match.start() + len(url)
        feature = {"$type": "app.bsky.richtext.facet#link", "uri": url}
        found.append((match.start(), _facet(text, match.start(), end, feature)))
    return [facet for _, facet in sorted(found, key=lambda pair: pair[0])]


def _facet(text: str, start: int, end: int, feature: dict[str, str]) -> dict[str, Any]:
    return {"index": _byte_slice(text, start, end), "features": [feature]}
