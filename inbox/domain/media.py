"""What a message carries besides its words: pictures, videos, GIFs and links.

Each network offers its own media fields (X `includes.media`, Mastodon `media_attachments`,
Bluesky embeds, Meta comment attachments); the connectors turn them into `MediaAttachment`s,
which ingestion stores on the mention and the thread page shows: images as thumbnails through
the image proxy, everything else as a link to the original.

Every address here is the network's, and untrusted: it is kept only when it is an https
address with a host (no credentials, no spaces or control characters), so that it can stand
in a link or be fetched by the image proxy. Plain http is kept only to this machine (a
network's test double, as for Mastodon instances and Bluesky services): the proxy still
fetches it only where the egress policy allows, and the page never links to it. An
attachment whose own address cannot be kept is left out, never its message (`attachment`):
the customer's words are what must reach an agent, and the payload keeps the rest. The
bounds on how many and how long are applied at ingestion with every other limit
(`inbox.domain.payload_limits`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from inbox.domain.egress import is_loopback_host
from inbox.domain.text import storable

# Pixels no picture a network serves comes near; beyond it a size is noise, not a size.
LARGEST_SIDE = 100_000
# Characters an address may not hold as they are: whitespace, controls, and the ones that
# would end an HTML attribute or a URL in text.
_UNSAFE_IN_URL = re.compile(r'[\x00-\x20\x7f-\x9f\\<>"`]')


class MediaKind(StrEnum):
    IMAGE = "image"
    VIDEO = "video"
    GIF = "gif"  # an animation: X's animated_gif and Mastodon's gifv are short videos
    LINK = "link"  # a link card (Bluesky external embeds, Meta shares)
    OTHER = "other"  # audio, or a kind the network has not told us about


# The kinds whose picture the thread page draws (through the proxy) rather than only naming.
PICTURED = frozenset({MediaKind.IMAGE})


def media_address(value: str) -> str:
    """`value` when it is an https URL with a host (or http to this machine) and nothing that
    could break out of a link or an attribute; ValueError saying why otherwise."""
    if len(value) == 0 or _UNSAFE_IN_URL.search(value):
        raise ValueError("is empty or holds spaces, control characters or quotes")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise ValueError("is not a URL") from None
    if not parts.hostname:
        raise ValueError("has no host")
    scheme = parts.scheme.lower()
    if scheme != "https" and not (scheme == "http" and is_loopback_host(parts.hostname)):
        raise ValueError("must be an https:// address")
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not carry a user name or password")
    return value


class MediaAttachment(BaseModel):
    """One attachment of a message, as every network's is normalised.

    `url` is the media itself when the network gives it (an image, a Mastodon video file),
    else where to see it on the network (X gives no address for a video: its post's page);
    `preview_url` a smaller picture of it (a thumbnail, a video's first frame), when there is
    one. `alt_text` is the author's description (a link's title for a link). Sizes are the
    original's, in pixels, when the network says.
    """

    model_config = ConfigDict(frozen=True)

    kind: MediaKind
    url: str
    preview_url: str | None = None
    alt_text: str | None = None
    width: int | None = Field(default=None, ge=1, le=LARGEST_SIDE)
    height: int | None = Field(default=None, ge=1, le=LARGEST_SIDE)

    @field_validator("url", "preview_url")
    @classmethod
    def _https(cls, value: str | None) -> str | None:
        return None if value is None else media_address(value)

    @field_validator("alt_text")
    @classmethod
    def _storable(cls, value: str | None) -> str | None:
        text = None if value is None else storable(value).strip()
        return text or None


def attachment(
    kind: MediaKind,
    url: Any,
    *,
    preview_url: Any = None,
    alt_text: Any = None,
    width: Any = None,
    height: Any = None,
) -> MediaAttachment | None:
    """An attachment from a network's fields, as far as they can be believed; None when its
    own address cannot be kept. A preview, a description or a size that cannot be read is
    dropped, not the attachment. Never raises: a message is never refused for its media."""
    if not isinstance(url, str):
        return None
    try:
        return MediaAttachment(
            kind=kind,
            url=url,
            preview_url=preview_url if _kept_address(preview_url) else None,
            alt_text=alt_text if isinstance(alt_text, str) else None,
            width=_side(width),
            height=_side(height),
        )
    except ValidationError:
        return None


def _kept_address(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        media_address(value)
    except ValueError:
        return False
    return True


def _side(value: Any) -> int | None:
    """A size in pixels as networks send it (an integer, sometimes a float or a numeric
    string); None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isdigit() and len(value) <= 6:
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and 1 <= value <= LARGEST_SIDE:
        return value
    return None


def kept(found: Iterable[MediaAttachment | None]) -> tuple[MediaAttachment, ...]:
    """The attachments that could be kept, in order."""
    return tuple(item for item in found if item is not None)
