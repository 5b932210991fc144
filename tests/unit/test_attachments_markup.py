"""A message's attachments as the thread page draws them (`ui.attachments`)."""

from __future__ import annotations

import re
from dataclasses import replace

from inbox.domain.web import PageAttachment
from web.components import THUMBNAIL_BOX, UNKNOWN_SIZE, attachments, icon_sprite, thumbnail_size
from web.rendering import TEMPLATES

XSS = '"><script>alert(1)</script><img src=x onerror=alert(1)>'
PICTURE = PageAttachment(
    kind="image",
    url="https://media.example.net/a.jpg",
    preview_url=None,
    alt_text="A router with a red light",
    width=1200,
    height=900,
    network="x",
    external_id="1",
    index=0,
    image="/media/full.sig",
    thumbnail="/media/thumb.sig",
)
VIDEO = replace(
    PICTURE,
    kind="video",
    url="https://x.com/sarah_k/status/1",
    preview_url="https://pbs.twimg.com/v.jpg",
    alt_text=None,
    index=1,
    image=None,
    thumbnail="/media/preview.sig",
)
CARD = replace(
    PICTURE,
    kind="link",
    url="https://www.status.example.com/lyon",
    preview_url=None,
    alt_text="Network status",
    width=None,
    height=None,
    index=2,
    image=None,
    thumbnail=None,
)


def test_a_picture_is_a_thumbnail_from_the_proxy_that_opens_the_whole_of_it() -> None:
    html = attachments([PICTURE])
    assert '<a class="attachment attachment-image" href="/media/full.sig"' in html
    assert 'src="/media/thumb.sig"' in html
    assert 'alt="A router with a red light"' in html
    assert 'width="240" height="180"' in html  # 1200 x 900 fitted in the box
    assert "media.example.net" not in html  # the media host never reaches the page


def test_a_video_or_a_link_is_a_link_to_the_original_with_what_it_is_in_words() -> None:
    html = attachments([VIDEO, CARD])
    assert 'href="https://x.com/sarah_k/status/1"' in html
    assert 'src="/media/preview.sig"' in html
    assert 'alt="Video 1 of 2, without a description"' in html
    assert ">Video<" in html
    assert 'href="https://www.status.example.com/lyon"' in html
    assert ">Link<" in html
    assert '<span class="attachment-host">status.example.com</span>' in html
    assert '<span class="attachment-text">Network status</span>' in html
    assert html.count('rel="noopener noreferrer"') == 2
    assert html.count('target="_blank"') == 2
    assert re.findall(r"#i-(media-[a-z]+)", html) == ["media-play", "media-link"]
    for icon in ("media-play", "media-link", "media-file"):
        assert f'id="i-{icon}"' in icon_sprite()


def test_every_value_is_escaped_and_a_class_is_one_of_the_known_kinds() -> None:
    hostile = replace(CARD, kind=XSS, alt_text=XSS, url=f"https://example.com/{XSS}")
    pictured = replace(PICTURE, alt_text=XSS, image=f"/media/{XSS}", thumbnail=f"/media/{XSS}")
    html = attachments([hostile, pictured])
    assert "<script" not in html
    assert "<img src=x" not in html
    assert 'class="attachment attachment-other"' in html


def test_only_https_addresses_become_links() -> None:
    local = replace(CARD, url="http://127.0.0.1:8081/status")
    html = attachments([local])
    assert "<a " not in html
    assert "127.0.0.1:8081" not in html
    assert '<span class="attachment attachment-link">' in html


def test_a_long_description_is_cut_beside_a_link_and_whole_on_hover() -> None:
    html = attachments([replace(CARD, alt_text="word " * 60)])
    shown = re.search(r'<span class="attachment-text">([^<]*)</span>', html)
    assert shown is not None
    assert shown.group(1).endswith("…")
    assert len(shown.group(1)) == 121
    assert 'title="word word' in html


def test_a_thumbnail_keeps_its_proportions_within_the_box_and_is_never_enlarged() -> None:
    assert thumbnail_size(4000, 1000) == (THUMBNAIL_BOX[0], 60)
    assert thumbnail_size(300, 420) == (129, THUMBNAIL_BOX[1])
    assert thumbnail_size(100, 50) == (100, 50)
    assert thumbnail_size(None, 50) is None
    html = attachments([replace(PICTURE, width=None, height=None)])
    assert f'width="{UNKNOWN_SIZE[0]}" height="{UNKNOWN_SIZE[1]}"' in html
    assert "thumbnail-cropped" in html


def test_nothing_is_drawn_without_attachments_and_the_macro_draws_the_message() -> None:
    assert attachments([]) == ""
    macro = TEMPLATES.from_string(
        '{% import "ui.html" as ui with context %}{{ ui.attachments(message) }}'
    )
    html = macro.render(message={"attachments": [PICTURE]}, times=None)
    assert 'src="/media/thumb.sig"' in html
