"""Attachments as the domain holds them: addresses that can stand in a link, bounds applied at
ingestion without ever refusing the message, and the image proxy's links and image rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from inbox.domain.media import MediaAttachment, MediaKind, attachment, kept
from inbox.domain.media_proxy import (
    MAX_IMAGE_BYTES,
    MediaLinkError,
    MediaRef,
    MediaRefusal,
    MediaUnavailableError,
    check_declared_type,
    image_of,
    link_expiry,
    read_link,
    sign_link,
    sniffed_image_type,
)
from inbox.domain.payload_limits import (
    MAX_ALT_TEXT_CHARS,
    MAX_ATTACHMENTS,
    MAX_MEDIA_URL_CHARS,
    screen_mention,
)
from tests.factories import T0, mention

PICTURE = "https://media.example.net/pic/1.jpg"
KEY = b"k" * 32
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 20
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20
GIF = b"GIF89a\x01\x00\x01\x00" + b"\x00" * 20
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 20
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!doctype html><html><body>Not found</body></html>"


# -- addresses --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://media.example.net/pic.jpg",
        "javascript:alert(1)",
        "data:image/png;base64,iVBORw0KGgo=",
        "ftp://media.example.net/pic.jpg",
        "//media.example.net/pic.jpg",
        "https://",
        "https://user:secret@media.example.net/pic.jpg",
        "https://media.example.net/a pic.jpg",
        'https://media.example.net/pic.jpg"onerror="alert(1)',
        "https://media.example.net/<script>",
        "https://media.example.net/\npic.jpg",
        "https://media.example.net:99999/pic.jpg",
        "",
    ],
)
def test_an_address_that_is_not_plain_https_is_refused_by_the_model(url: str) -> None:
    with pytest.raises(ValidationError):
        MediaAttachment(kind=MediaKind.IMAGE, url=url)


def test_plain_http_is_kept_only_to_this_machine_where_test_doubles_listen() -> None:
    local = MediaAttachment(kind=MediaKind.IMAGE, url="http://127.0.0.1:8081/pic.png")
    assert local.url == "http://127.0.0.1:8081/pic.png"
    with pytest.raises(ValidationError):
        MediaAttachment(kind=MediaKind.IMAGE, url="http://10.0.0.5/pic.png")


def test_a_network_field_that_cannot_be_kept_costs_the_attachment_never_the_message() -> None:
    assert attachment(MediaKind.IMAGE, "http://media.example.net/pic.jpg") is None
    assert attachment(MediaKind.IMAGE, None) is None
    assert attachment(MediaKind.IMAGE, 42) is None
    kept_one = attachment(
        MediaKind.VIDEO,
        PICTURE,
        preview_url="javascript:alert(1)",
        alt_text=["not", "text"],
        width="wide",
        height=True,
    )
    assert kept_one == MediaAttachment(kind=MediaKind.VIDEO, url=PICTURE)


def test_sizes_are_read_as_networks_send_them_and_nonsense_is_dropped() -> None:
    sized = attachment(MediaKind.IMAGE, PICTURE, width=640.0, height="360")
    assert sized is not None
    assert (sized.width, sized.height) == (640, 360)
    for nonsense in (0, -5, 10**9, 1.5, float("nan"), "12px"):
        found = attachment(MediaKind.IMAGE, PICTURE, width=nonsense)
        assert found is not None, nonsense
        assert found.width is None, nonsense


def test_a_description_is_made_storable_and_an_empty_one_is_none() -> None:
    found = attachment(MediaKind.IMAGE, PICTURE, alt_text="  a cat\x00 \ud83d ")
    assert found is not None
    assert found.alt_text == "a cat \ufffd"
    blank = attachment(MediaKind.IMAGE, PICTURE, alt_text="   ")
    assert blank is not None
    assert blank.alt_text is None


def test_kept_leaves_out_what_could_not_be_read() -> None:
    one = MediaAttachment(kind=MediaKind.IMAGE, url=PICTURE)
    assert kept([None, one, None]) == (one,)


# -- bounds, at ingestion -----------------------------------------------------------------


def test_more_attachments_than_the_bound_keep_the_first_and_the_message_is_stored() -> None:
    many = tuple(
        MediaAttachment(kind=MediaKind.IMAGE, url=f"{PICTURE}?n={n}")
        for n in range(MAX_ATTACHMENTS + 3)
    )
    screened = screen_mention(mention("1").model_copy(update={"media": many}), T0)
    assert screened.rejected is None
    assert screened.mention is not None
    assert screened.mention.media == many[:MAX_ATTACHMENTS]
    assert any("the first 10 kept" in change for change in screened.changes)


def test_an_overlong_address_is_left_out_and_an_overlong_description_cut() -> None:
    long_url = f"{PICTURE}?{'a' * MAX_MEDIA_URL_CHARS}"
    media = (
        MediaAttachment(kind=MediaKind.IMAGE, url=long_url),
        MediaAttachment(kind=MediaKind.IMAGE, url=PICTURE, alt_text="d" * 5000),
        MediaAttachment(kind=MediaKind.VIDEO, url=PICTURE, preview_url=long_url),
    )
    screened = screen_mention(mention("1").model_copy(update={"media": media}), T0)
    assert screened.mention is not None
    stored = screened.mention.media
    assert [item.kind for item in stored] == [MediaKind.IMAGE, MediaKind.VIDEO]
    assert stored[0].alt_text is not None
    assert len(stored[0].alt_text) == MAX_ALT_TEXT_CHARS + 1
    assert stored[0].alt_text.endswith("…")
    assert stored[1].preview_url is None
    assert stored[1].url == PICTURE
    said = " ".join(screened.changes)
    assert "media[0].url" in said
    assert "media[1].alt_text" in said
    assert "media[2].preview_url" in said


def test_attachments_within_the_bounds_are_left_alone() -> None:
    media = (MediaAttachment(kind=MediaKind.IMAGE, url=PICTURE, alt_text="a cat"),)
    original = mention("1").model_copy(update={"media": media})
    screened = screen_mention(original, T0)
    assert screened.mention is original
    assert screened.changes == ()


# -- the proxy's links ----------------------------------------------------------------------

NOW = datetime(2026, 12, 7, 9, 20, tzinfo=UTC)


def _ref(**changes: object) -> MediaRef:
    values: dict[str, object] = {
        "workspace_id": 3,
        "network": "bluesky",
        "external_id": "at://did:plc:abc/app.bsky.feed.post/3k",
        "index": 1,
        "variant": "full",
        "expires": link_expiry(NOW),
    }
    values.update(changes)
    return MediaRef(**values)  # type: ignore[arg-type]


def test_a_signed_link_reads_back_as_what_it_names() -> None:
    ref = _ref()
    link = sign_link(KEY, ref)
    assert read_link(KEY, link, NOW) == ref
    assert link.isascii()
    assert "/" not in link
    assert "?" not in link


def test_links_made_within_one_hour_are_the_same_and_last_a_day_after_it() -> None:
    assert link_expiry(NOW) == link_expiry(NOW.replace(minute=59, second=59))
    assert link_expiry(NOW) == int(datetime(2026, 12, 8, 10, 0, tzinfo=UTC).timestamp())
    assert sign_link(KEY, _ref()) == sign_link(KEY, _ref())


def test_an_expired_link_is_refused_saying_so() -> None:
    link = sign_link(KEY, _ref())
    with pytest.raises(MediaLinkError, match="expired"):
        read_link(KEY, link, NOW + timedelta(hours=26))


def test_a_link_altered_or_signed_with_another_key_is_refused() -> None:
    link = sign_link(KEY, _ref())
    payload, signature = link.split(".")
    other = sign_link(KEY, _ref(workspace_id=4)).split(".")[0]
    forged = [
        f"{other}.{signature}",  # another workspace under this link's signature
        f"{payload}.{signature[:-2]}AA",
        sign_link(b"another key" * 3, _ref()),
        f"{payload}.",
        f".{signature}",
        "not a link",
        "a.b.c",
        "é.é",
        f"{payload}.{signature}" + "A" * 3000,
    ]
    for attempt in forged:
        with pytest.raises(MediaLinkError):
            read_link(KEY, attempt, NOW)


# -- images ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "kind"),
    [(PNG, "image/png"), (JPEG, "image/jpeg"), (GIF, "image/gif"), (WEBP, "image/webp")],
)
def test_an_image_is_told_by_its_first_bytes(head: bytes, kind: str) -> None:
    assert sniffed_image_type(head) == kind
    assert image_of(head).content_type == kind


@pytest.mark.parametrize("body", [SVG, HTML, b"", b"GIF8", b"RIFF\x00\x00\x00\x00WAVE"])
def test_anything_else_is_not_an_image_whatever_it_is_called(body: bytes) -> None:
    with pytest.raises(MediaUnavailableError) as refused:
        image_of(body)
    assert refused.value.refusal is MediaRefusal.NOT_AN_IMAGE


@pytest.mark.parametrize(
    "declared",
    ["text/html; charset=utf-8", "image/svg+xml", "application/json", "video/mp4", "\x00bad"],
)
def test_a_declared_type_that_is_no_accepted_image_is_refused_at_once(declared: str) -> None:
    with pytest.raises(MediaUnavailableError) as refused:
        check_declared_type(declared)
    assert refused.value.refusal is MediaRefusal.NOT_AN_IMAGE


@pytest.mark.parametrize(
    "declared",
    ["image/png", "IMAGE/JPEG; q=1", "image/jpg", "image/webp", None, "application/octet-stream"],
)
def test_an_image_type_or_no_type_leaves_it_to_the_bytes(declared: str | None) -> None:
    check_declared_type(declared)


def test_the_proxy_carries_five_mebibytes() -> None:
    assert MAX_IMAGE_BYTES == 5 * 1024 * 1024
