"""The small pieces every page is made of: avatars, network icons, chips, times, SLA bars.

Built here in Python, once, for both callers: the inbox's row builder (the hottest HTML of
the app) and the templates, which reach them through the macros of `templates/ui.html`.
Every value is escaped here; a class name made from data is first held to a known set.
The look of each piece is in `static/inbox.css` (docs/design-system.md lists them).
"""

from __future__ import annotations

import functools
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from markupsafe import Markup, escape

from inbox.domain.web import PageAttachment
from web.timefmt import LocalTimes

# Avatars take one of this many colours (`.hue-0` ... in the stylesheet), each dark enough
# for white initials.
AVATAR_HUES = 12

# Original drawings on a 24-unit grid, stroked in the text colour (`.icon` in the
# stylesheet). Defined once a page (`icon_sprite`, in base.html) and used by reference, so
# that a list of a hundred rows does not carry a hundred copies.
_ICONS = {
    "x": '<path d="M5.5 4.5l13 15M18.5 4.5l-13 15" stroke-width="2.6"/>',
    "mastodon": (
        '<path d="M6 4h12a3 3 0 0 1 3 3v7a3 3 0 0 1-3 3h-6l-4 3v-3H6a3 3 0 0 1-3-3V7'
        'a3 3 0 0 1 3-3z"/><path d="M8 14v-3.5a2 2 0 0 1 4 0V14m0-3.5a2 2 0 0 1 4 0V14"/>'
    ),
    "bluesky": (
        '<g fill="currentColor" stroke="none">'
        '<ellipse cx="7.6" cy="9" rx="4.6" ry="3.4" transform="rotate(-25 7.6 9)"/>'
        '<ellipse cx="16.4" cy="9" rx="4.6" ry="3.4" transform="rotate(25 16.4 9)"/>'
        '<ellipse cx="9" cy="15.6" rx="3" ry="2.3" transform="rotate(35 9 15.6)"/>'
        '<ellipse cx="15" cy="15.6" rx="3" ry="2.3" transform="rotate(-35 15 15.6)"/></g>'
    ),
    "facebook": (
        '<circle cx="12" cy="12" r="9"/><path d="M13 21v-9.5a2.5 2.5 0 0 1 2.5-2.5H17'
        'M9.5 13.5H16"/>'
    ),
    "instagram": (
        '<rect x="3.5" y="3.5" width="17" height="17" rx="5"/><circle cx="12" cy="12" r="4"/>'
        '<circle cx="17" cy="7" r="0.6" stroke-width="1.6"/>'
    ),
    "webhook": (
        '<circle cx="12" cy="5.5" r="2.5"/><circle cx="5.5" cy="17.5" r="2.5"/>'
        '<circle cx="18.5" cy="17.5" r="2.5"/><path d="M10.8 7.7 6.7 15.3M13.2 7.7l4.1 7.6'
        'M8 17.5h8"/>'
    ),
}
_ICONS["other"] = '<circle cx="12" cy="12" r="8"/><path d="M4 12h16M12 4c3 3 3 13 0 16"/>'
# The signs on an attachment shown as a link: what plays (a video, an animation), a link, a
# file of another kind.
_MEDIA_ICONS = {
    "media-play": '<rect x="3" y="5" width="18" height="14" rx="3"/><path d="M10 9.5v5l4.5-2.5z"/>',
    "media-link": (
        '<path d="M10 14a4 4 0 0 0 5.7 0l3-3a4 4 0 0 0-5.7-5.7l-1 1"/>'
        '<path d="M14 10a4 4 0 0 0-5.7 0l-3 3a4 4 0 0 0 5.7 5.7l1-1"/>'
    ),
    "media-file": '<path d="M6 3h8l4 4v14H6z"/><path d="M14 3v4h4"/>',
}
NETWORK_NAMES = {
    "x": "X",
    "mastodon": "Mastodon",
    "bluesky": "Bluesky",
    "facebook": "Facebook",
    "instagram": "Instagram",
    "webhook": "Webhook",
}
CHIP_KINDS = frozenset({"complaint", "question", "praise", "other", "unclassified"})
PRIORITIES = ("urgent", "high", "normal", "low")
# What became of a community answer (inbox.domain.community.AnswerStatus).
ANSWER_STATES = frozenset({"pending", "approved", "edited", "rejected"})


def initials(name: str | None) -> str:
    """Up to two letters for a name or a handle: "Sarah Kim" and "sarah_k" give "SK",
    "margot" gives "MA"; "?" when nothing is a letter or a digit."""
    words = "".join(c if c.isalnum() else " " for c in name or "").split()
    if not words:
        return "?"
    if len(words) == 1:
        return words[0][:2].upper()
    return (words[0][0] + words[1][0]).upper()


def hue(name: str | None) -> int:
    """The avatar's colour, the same for a name on every page and every day."""
    return zlib.crc32((name or "").strip().lower().encode()) % AVATAR_HUES


# The same few names, networks and chips come back on every row: each is built once.
_CACHED = functools.lru_cache(maxsize=4096)


@_CACHED
def avatar(name: str | None, *, size: str = "md") -> Markup:
    """Initials on a colour of the name's own; decorative (the name is written beside it)."""
    sized = f" avatar-{size}" if size in ("sm", "lg") else ""  # md: the avatar's own size
    return Markup(  # noqa: S704 - the initials are escaped
        f'<span class="avatar{sized} hue-{hue(name)}" aria-hidden="true">'
        f"{escape(initials(name))}</span>"
    )


def icon_sprite() -> Markup:
    """Every icon's drawing, once a page, for `network_icon` to refer to."""
    symbols = "".join(
        f'<symbol id="i-{key}" viewBox="0 0 24 24">{drawing}</symbol>'
        for key, drawing in (*_ICONS.items(), *_MEDIA_ICONS.items())
    )
    return Markup(f'<svg class="sprite" aria-hidden="true">{symbols}</svg>')  # noqa: S704


@_CACHED
def network_icon(network: str) -> Markup:
    """The network's icon with its name for screen readers (and on hover)."""
    key = network if network in _ICONS else "other"
    name = NETWORK_NAMES.get(network, network)
    return Markup(  # noqa: S704 - a fixed reference; the name is escaped
        f'<span class="net net-{key}" title="{escape(name)}">'
        f'<svg class="icon" aria-hidden="true"><use href="#i-{key}"/></svg>'
        f'<span class="visually-hidden">{escape(name)}</span></span>'
    )


@_CACHED
def chip(text: str, kind: str, value: str | None = None) -> Markup:
    """A label: `kind` one of kind, priority, lang, topic, tag, status; `value` picks its
    colour among the known ones (a complaint, an urgent thread, a rejected answer), others
    look plain."""
    variant = ""
    if kind == "kind" and value in CHIP_KINDS:
        variant = f" chip-kind-{value}"
    elif kind == "priority" and value in PRIORITIES:
        variant = f" chip-priority-{value}"
    elif kind == "status" and value in ANSWER_STATES:
        variant = f" chip-status-{value}"
    family = kind if kind in ("kind", "priority", "lang", "topic", "tag", "status") else "plain"
    return Markup(  # noqa: S704 - classes from fixed sets, the text escaped
        f'<span class="chip chip-{family}{variant}">{escape(text)}</span>'
    )


def time_tag(instant: datetime, text: str, times: LocalTimes | None, css: str = "") -> Markup:
    """`<time>` with the words shown and the exact local time on hover. Without a reader's
    zone (a row rendered once for every open page), no title: the page's script gives it
    one in its reader's zone."""
    title = f' title="{escape(times.exact(instant))}"' if times is not None else ""
    css_class = f' class="{escape(css)}"' if css else ""
    return Markup(  # noqa: S704 - every value escaped
        f'<time datetime="{instant.isoformat()}"{title}{css_class}>{escape(text)}</time>'
    )


@dataclass(frozen=True, slots=True)
class SlaMeter:
    """How far a response clock has run: `state` one of on-time, at-risk, overdue, none;
    `used` the share of its budget used, from 0 to 1."""

    state: str
    used: float


# The share of the budget at which a clock warns, unless its own warning instant is known.
WARN_SHARE = 0.75


def sla_meter(
    due: datetime | None,
    now: datetime,
    *,
    started: datetime | None = None,
    warn_at: datetime | None = None,
) -> SlaMeter:
    """At risk from the clock's warning instant (75% of its business budget by default, the
    policy's share otherwise), overdue from its deadline: the same instants the SLA timer
    alerts at. The share used is exact at the start, the warning and the deadline, and
    drawn in wall-clock time between them (business time needs the calendar; the thread
    page has it)."""
    if due is None:
        return SlaMeter("none", 0.0)
    if now >= due:
        return SlaMeter("overdue", 1.0)
    if started is None or started >= due:
        at_risk = warn_at is not None and now >= warn_at
        return SlaMeter("at-risk" if at_risk else "on-time", WARN_SHARE if at_risk else 0.0)
    if warn_at is None or not started <= warn_at <= due:
        warn_at = started + (due - started) * WARN_SHARE
    if now >= warn_at:
        run = (now - warn_at) / (due - warn_at) if due > warn_at else 1.0
        return SlaMeter("at-risk", WARN_SHARE + (1 - WARN_SHARE) * run)
    run = (now - started) / (warn_at - started) if warn_at > started else 0.0
    return SlaMeter("on-time", max(0.0, WARN_SHARE * run))


def sla_meter_from_share(due: datetime | None, now: datetime, used: float) -> SlaMeter:
    """From the exact share of business time used (a thread's explained clock)."""
    if due is None:
        return SlaMeter("none", 0.0)
    if now >= due:
        return SlaMeter("overdue", 1.0)
    return SlaMeter("at-risk" if used >= WARN_SHARE else "on-time", max(0.0, min(used, 1.0)))


_STATE_WORDS = {"on-time": "On time", "at-risk": "At risk", "overdue": "Overdue", "none": ""}


# The bar's fill in steps of 5% (`.fill-0` ... `.fill-100` in the stylesheet): a style
# attribute would be refused by the Content-Security-Policy, and 5% is under 4 px of bar.
FILL_STEP = 5


def fill_class(used: float) -> str:
    steps = round(100 * min(max(used, 0.0), 1.0) / FILL_STEP)
    return f"fill-{steps * FILL_STEP}"


def sla_paused(text: str) -> Markup:
    """A clock with no deadline while a pause holds it: an empty track and the words."""
    return Markup(  # noqa: S704 - a fixed class, the words escaped
        f'<span class="sla sla-none"><span class="sla-track fill-0"></span>{escape(text)}</span>'
    )


def sla_bar(
    meter: SlaMeter, *, due: datetime | None, text: str, times: LocalTimes | None
) -> Markup:
    """The bar of a clock, coloured by its state, with the time left in words beside it and
    the deadline on hover."""
    if due is None:
        return Markup('<span class="sla sla-none">no deadline</span>')
    words = _STATE_WORDS[meter.state]
    return Markup(  # noqa: S704 - fixed classes and words, and an escaped time
        f'<span class="sla sla-{meter.state}">'
        f'<span class="sla-track {fill_class(meter.used)}"></span>'
        f'<span class="visually-hidden">{words}: </span>'
        f"{time_tag(due, text, times, 'sla-left')}</span>"
    )


# The box a thumbnail fits in, in CSS pixels: a picture is shown whole, never cropped, and
# its width and height are given so that the page does not move as it arrives.
THUMBNAIL_BOX = (240, 180)
# A picture whose size the network did not say is drawn in this box, cropped to fill it.
UNKNOWN_SIZE = (160, 120)
_MEDIA_KINDS = frozenset({"image", "video", "gif", "link", "other"})
_MEDIA_WORDS = {"video": "Video", "gif": "GIF", "link": "Link", "image": "Image"}
_MEDIA_ICON = {"video": "media-play", "gif": "media-play", "link": "media-link"}
# A description shown beside a link, before it is cut (the whole of it on hover).
_LINK_TEXT_CHARS = 120


def thumbnail_size(width: int | None, height: int | None) -> tuple[int, int] | None:
    """The size a picture is drawn at in the page: its own, scaled down to fit the box;
    None when the network did not say it."""
    if not width or not height:
        return None
    scale = min(1.0, THUMBNAIL_BOX[0] / width, THUMBNAIL_BOX[1] / height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def attachments(items: Sequence[PageAttachment]) -> Markup:
    """A message's attachments: each picture as a thumbnail through the image proxy, a
    link to the whole picture (also through the proxy); videos, animations and links as
    links to the original on the network, with a thumbnail when they have a preview."""
    if not items:
        return Markup("")
    count = len(items)
    pieces = [_attachment(item, position, count) for position, item in enumerate(items, 1)]
    return Markup(  # noqa: S704 - every piece escaped
        f'<div class="attachments">{"".join(pieces)}</div>'
    )


def _attachment(item: PageAttachment, position: int, count: int) -> str:
    described = item.alt_text or ""
    if item.image is not None:
        alt = described or _unnamed("Image", position, count)
        return (
            f'<a class="attachment attachment-image" href="{escape(item.image)}" '
            f'target="_blank" rel="noopener" title="Open the whole image">'
            f"{_thumbnail(item.thumbnail or item.image, alt, item)}</a>"
        )
    kind = item.kind if item.kind in _MEDIA_KINDS else "other"
    words = _MEDIA_WORDS.get(kind, "Attachment")
    picture = ""
    if item.thumbnail:
        picture = _thumbnail(item.thumbnail, described or _unnamed(words, position, count), item)
    host = _host(item.url)
    text = described[:_LINK_TEXT_CHARS] + ("…" if len(described) > _LINK_TEXT_CHARS else "")
    label = (
        f'<span class="attachment-label"><svg class="icon" aria-hidden="true">'
        f'<use href="#i-{_MEDIA_ICON.get(kind, "media-file")}"/></svg>{escape(words)}'
        + (f'<span class="attachment-host">{escape(host)}</span>' if host else "")
        + "</span>"
        + (f'<span class="attachment-text">{escape(text)}</span>' if text else "")
    )
    if not item.url.startswith("https://"):  # the model keeps https only: never a link else
        return f'<span class="attachment attachment-{kind}">{picture}{label}</span>'
    title = f' title="{escape(described)}"' if text != described else ""
    return (
        f'<a class="attachment attachment-{kind}" href="{escape(item.url)}" '
        f'target="_blank" rel="noopener noreferrer"{title}>{picture}{label}</a>'
    )


def _thumbnail(src: str, alt: str, item: PageAttachment) -> str:
    size = thumbnail_size(item.width, item.height)
    width, height = size or UNKNOWN_SIZE
    fit = "" if size else " thumbnail-cropped"
    return (
        f'<img class="thumbnail{fit}" src="{escape(src)}" alt="{escape(alt)}" '
        f'width="{width}" height="{height}" loading="lazy" decoding="async">'
    )


def _unnamed(words: str, position: int, count: int) -> str:
    """What a picture without a description is called for those who cannot see it."""
    of = f" {position} of {count}" if count > 1 else ""
    return f"{words}{of}, without a description"


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").removeprefix("www.")
    except ValueError:
        return ""
