"""The image proxy's rules: which links it answers, and what it accepts as an image.

The thread page never points a browser at a network's media host: the page's
Content-Security-Policy allows images from this site only, and a customer's picture must not
tell its host which agent looked at it, when, from where. The page shows `/media/<link>`
instead, and the proxy fetches the picture itself.

**Links.** A link names one attachment of one stored message of one workspace (its index, and
whether the picture is the original or its preview) and the moment it expires, signed with
HMAC-SHA256 under a key derived from the instance's secret key. The proxy reads the address
from the stored message, never from the link: it cannot be made to fetch anything else, and a
link copied out of a page is of no use once it expires, or to someone of another workspace.
Links are made for the start of the hour, so a page read twice in an hour asks for the same
addresses and the browser's cache answers.

**Images.** Only JPEG, PNG, GIF and WebP, told by their first bytes: a declared type is never
believed alone, and SVG is refused (it can carry script). A declared type that is something
else (an HTML error page, SVG) is refused at once; a missing or generic one
(`application/octet-stream`, as some storage services send) leaves it to the bytes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from inbox.domain.errors import InboxError, PermissionDeniedError

# What the proxy will carry of one picture, and for how long it waits.
MAX_IMAGE_BYTES = 5 * 1024 * 1024
FETCH_SECONDS = 15
# Redirects followed, each to an address checked again like the first.
MAX_REDIRECTS = 3
# How long a link stays good after the hour it was made in.
LINK_LIFETIME = timedelta(hours=24)
_HOUR = 3600
# Bits of the signature kept: 128 are beyond guessing, and keep the addresses short.
_SIGNATURE_BYTES = 16
_LONGEST_LINK = 2048

ACCEPTED_IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
# Declared types that say nothing: the first bytes decide.
_UNLABELLED = frozenset({"", "application/octet-stream", "binary/octet-stream"})
_ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg"}
# Bytes enough to tell every accepted type.
SNIFF_BYTES = 12

Variant = Literal["full", "preview"]


class MediaLinkError(PermissionDeniedError):
    """A proxy link that was not made here, was altered, or has expired."""


class MediaRefusal(StrEnum):
    """Why the proxy gives no picture; the web layer answers each with its status."""

    NOT_AN_IMAGE = "not_an_image"
    TOO_LARGE = "too_large"
    UNREACHABLE = "unreachable"
    TOO_SLOW = "too_slow"
    FORBIDDEN_DESTINATION = "forbidden_destination"


class MediaUnavailableError(InboxError):
    """The picture could not be given; `reason` says why in words (never a secret: a host
    name at most, never the address's path or query)."""

    def __init__(self, refusal: MediaRefusal, reason: str) -> None:
        super().__init__(reason)
        self.refusal = refusal
        self.reason = reason


@dataclass(frozen=True, slots=True)
class FetchedImage:
    """A picture as the proxy answers it: its type as its bytes tell, and the bytes."""

    content_type: str
    body: bytes


@dataclass(frozen=True, slots=True)
class MediaRef:
    """What a proxy link names: an attachment (by its message and its index) of a workspace,
    its original or its preview, and when the link stops being good (seconds since the
    epoch)."""

    workspace_id: int
    network: str
    external_id: str
    index: int
    variant: Variant
    expires: int


def link_expiry(now: datetime) -> int:
    """When a link made `now` expires: LINK_LIFETIME after the start of the next hour, so
    that every link made within an hour is the same."""
    next_hour = (int(now.timestamp()) // _HOUR + 1) * _HOUR
    return next_hour + int(LINK_LIFETIME.total_seconds())


def sign_link(key: bytes, ref: MediaRef) -> str:
    """The link's text: the reference and its signature, both url-safe."""
    payload = json.dumps(
        [ref.workspace_id, ref.network, ref.external_id, ref.index, ref.variant, ref.expires],
        separators=(",", ":"),
        ensure_ascii=True,
    ).encode("ascii")
    return f"{_b64(payload)}.{_b64(_signature(key, payload))}"


def read_link(key: bytes, link: str, now: datetime) -> MediaRef:
    """The reference a link names, once its signature and its time are checked."""
    if len(link) > _LONGEST_LINK or link.count(".") != 1:
        raise MediaLinkError("this image link is not one of this inbox's")
    encoded, signature = link.split(".")
    try:
        payload = _unb64(encoded)
        given = _unb64(signature)
    except ValueError:
        raise MediaLinkError("this image link is not one of this inbox's") from None
    if not hmac.compare_digest(given, _signature(key, payload)):
        raise MediaLinkError("this image link is not one of this inbox's")
    ref = _ref(payload)
    if ref.expires <= now.timestamp():
        raise MediaLinkError("this image link has expired: reload the page")
    return ref


def _ref(payload: bytes) -> MediaRef:
    # Signed by this inbox, so well formed; checked all the same, as if it were not.
    try:
        workspace_id, network, external_id, index, variant, expires = json.loads(payload)
    except ValueError:
        raise MediaLinkError("this image link is not one of this inbox's") from None
    if not (
        _integer(workspace_id)
        and isinstance(network, str)
        and isinstance(external_id, str)
        and _integer(index)
        and variant in ("full", "preview")
        and _integer(expires)
    ):
        raise MediaLinkError("this image link is not one of this inbox's")
    return MediaRef(workspace_id, network, external_id, index, variant, expires)


def _integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _signature(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, b"media-link:" + payload, hashlib.sha256).digest()[:_SIGNATURE_BYTES]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    if not text or not text.replace("-", "").replace("_", "").isalnum() or not text.isascii():
        raise ValueError("not url-safe base64")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def declared_type(header: str | None) -> str:
    """The media type a Content-Type header declares, lower case, without parameters."""
    declared = (header or "").split(";", 1)[0].strip().lower()
    return _ALIASES.get(declared, declared)


def check_declared_type(header: str | None) -> None:
    """Refuses a declared type that is no accepted image; a generic one is let through, for
    the bytes to decide."""
    declared = declared_type(header)
    if declared in ACCEPTED_IMAGE_TYPES or declared in _UNLABELLED:
        return
    shown = declared[:60] if declared.isprintable() else "an unreadable type"
    raise MediaUnavailableError(
        MediaRefusal.NOT_AN_IMAGE,
        f"the address answered {shown}, not a JPEG, PNG, GIF or WebP image",
    )


def sniffed_image_type(head: bytes) -> str | None:
    """The accepted image type the first bytes show, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def image_of(body: bytes) -> FetchedImage:
    """The picture, typed by its bytes; refused when they are no accepted image."""
    sniffed = sniffed_image_type(body[:SNIFF_BYTES])
    if sniffed is None:
        raise MediaUnavailableError(
            MediaRefusal.NOT_AN_IMAGE, "the bytes are not a JPEG, PNG, GIF or WebP image"
        )
    return FetchedImage(sniffed, body)


def too_large(size: int | None = None) -> MediaUnavailableError:
    said = f" ({size:,} bytes)" if size is not None else ""
    return MediaUnavailableError(
        MediaRefusal.TOO_LARGE,
        f"the image is larger than the {MAX_IMAGE_BYTES // (1024 * 1024)} MiB the proxy "
        f"carries{said}",
    )
