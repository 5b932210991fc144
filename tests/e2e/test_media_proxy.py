"""The image proxy over HTTP: a thread page's pictures come from `/media/<link>`, which
fetches them from a media host (here on loopback, allowed through the egress policy as
INBOX_ALLOWED_INTERNAL_HOSTS would) and answers only images, only so large, only to a
person of the link's workspace."""

from __future__ import annotations

import asyncio
import html
import re
import struct
import zlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from pydantic import SecretStr

from connectors.common.image_fetch import GuardedImageFetcher
from inbox.bootstrap import build_services
from inbox.domain.ingestion import IngestBatch
from inbox.domain.media import MediaAttachment, MediaKind
from inbox.domain.media_proxy import (
    MAX_IMAGE_BYTES,
    MediaRef,
    MediaRefusal,
    MediaUnavailableError,
    sign_link,
)
from inbox.domain.people import Role
from inbox.store.database import Database
from inbox.store.secret_box import SecretBox
from inbox.store.workspaces import PgWorkspaceStore
from inbox.usecases.services import Services
from tests.e2e.browsing import logged_in, person, recent, screenshot
from tests.e2e.site import signed_in
from tests.factories import allowing, mention
from web.app import create_app

pytestmark = pytest.mark.integration

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99"
    b"=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'
HUGE = 50 * 1024 * 1024
CHUNK = 64 * 1024


@dataclass
class MediaHost:
    """A media host on loopback: what it serves, and what it was asked and sent."""

    base: str = ""
    # More pictures by path, served as PNG.
    pictures: dict[str, bytes] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    streamed: int = 0
    stream_over: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_routes(
            web.get(path, handler)
            for path, handler in {
                "/pic.png": self._png,
                "/untyped.png": self._untyped,
                "/page.html": self._html,
                "/logo.svg": self._svg,
                "/liar.png": self._liar,
                "/endless.png": self._endless,
                "/declared-huge.png": self._declared_huge,
                "/slow.png": self._slow,
                "/gone.png": self._gone,
                "/to/{target:.*}": self._redirect,
                "/loop": self._loop,
                "/{name}.png": self._picture,
            }.items()
        )
        app.middlewares.append(self._count)
        return app

    @web.middleware
    async def _count(
        self, request: web.Request, handler: Callable[[web.Request], object]
    ) -> web.StreamResponse:
        self.requests.append(request.path)
        # Nothing identifying the agent reaches the media host.
        assert "Cookie" not in request.headers
        assert "Referer" not in request.headers
        response = await handler(request)  # type: ignore[misc]
        assert isinstance(response, web.StreamResponse)
        return response

    async def _png(self, request: web.Request) -> web.Response:
        return web.Response(body=PNG, content_type="image/png")

    async def _picture(self, request: web.Request) -> web.Response:
        body = self.pictures.get(request.path)
        if body is None:
            raise web.HTTPNotFound()
        return web.Response(body=body, content_type="image/png")

    async def _untyped(self, request: web.Request) -> web.Response:
        return web.Response(body=PNG, content_type="application/octet-stream")

    async def _html(self, request: web.Request) -> web.Response:
        return web.Response(text="<!doctype html><p>Not found</p>", content_type="text/html")

    async def _svg(self, request: web.Request) -> web.Response:
        return web.Response(body=SVG, content_type="image/svg+xml")

    async def _liar(self, request: web.Request) -> web.Response:
        return web.Response(body=b"<html><script>alert(1)</script>", content_type="image/png")

    async def _gone(self, request: web.Request) -> web.Response:
        return web.Response(status=404, text="gone")

    async def _endless(self, request: web.Request) -> web.StreamResponse:
        """A PNG that never ends (chunked, no length): HUGE bytes unless the reader leaves."""
        response = web.StreamResponse(headers={"Content-Type": "image/png"})
        await response.prepare(request)
        try:
            await response.write(PNG[:16] + bytes(CHUNK - 16))
            self.streamed = CHUNK
            while self.streamed < HUGE:
                await response.write(bytes(CHUNK))
                self.streamed += CHUNK
        except (ConnectionError, RuntimeError):
            pass  # the reader hung up
        finally:
            self.stream_over.set()
        return response

    async def _declared_huge(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "image/png", "Content-Length": str(HUGE)}
        )
        await response.prepare(request)
        await response.write(PNG[:16])
        await self.release.wait()
        return response

    async def _slow(self, request: web.Request) -> web.Response:
        await self.release.wait()
        return web.Response(body=PNG, content_type="image/png")

    async def _redirect(self, request: web.Request) -> web.Response:
        target = request.match_info["target"]
        location = target if "://" in target else f"/{target}"
        raise web.HTTPFound(location)

    async def _loop(self, request: web.Request) -> web.Response:
        raise web.HTTPFound("/loop")


@pytest.fixture
async def media_host() -> AsyncIterator[MediaHost]:
    host = MediaHost()
    server = TestServer(host.app(), host="127.0.0.1", port=0)
    await server.start_server()
    host.base = str(server.make_url("")).rstrip("/")
    yield host
    host.release.set()
    await server.close()


@pytest.fixture
def box() -> SecretBox:
    return SecretBox(SecretStr(SecretBox.new_key()))


@pytest.fixture
def services(db: Database, media_host: MediaHost, box: SecretBox) -> Services:
    """The real services, with the media host allowed and a key the test knows."""
    return build_services(db, lambda: box, egress=allowing(media_host.base))


def _picture(host: MediaHost, path: str, **fields: object) -> MediaAttachment:
    return MediaAttachment(kind=MediaKind.IMAGE, url=f"{host.base}{path}", **fields)  # type: ignore[arg-type]


@dataclass
class Desk:
    """Ana, an agent logged in over HTTP, and what she reaches: the site and its services."""

    session: aiohttp.ClientSession
    base: str
    services: Services
    workspace_id: int
    host: MediaHost

    async def thread_with(self, *media: MediaAttachment) -> int:
        """A customer's thread whose first message carries these attachments."""
        message = mention("1", conversation="c1", text="look at my router").model_copy(
            update={"media": media}
        )
        await self.services.ingest(self.workspace_id, IngestBatch([message]))
        rows = await self.services.list_threads(self.workspace_id)
        return rows[0].id

    async def proxy_links(self, thread_id: int) -> list[str]:
        """The proxy's addresses the thread page shows, in the page's order: for a picture,
        the link to the whole of it, then its thumbnail."""
        async with self.session.get(f"{self.base}/threads/{thread_id}") as page:
            assert page.status == 200
            assert page.headers["Content-Security-Policy"].startswith("default-src 'self'")
            text = await page.text()
        return [html.unescape(link) for link in re.findall(r'(?:src|href)="(/media/[^"]+)"', text)]

    async def link_to(self, path: str) -> str:
        """The proxy's link to the whole of the one picture, at `path` on the media host, of
        a new thread."""
        thread_id = await self.thread_with(_picture(self.host, path))
        link, _ = await self.proxy_links(thread_id)
        return link


@pytest.fixture
async def desk(
    client: tuple[aiohttp.ClientSession, str],
    services: Services,
    db: Database,
    workspace_id: int,
    media_host: MediaHost,
) -> Desk:
    session, base = client
    await person(services, db, workspace_id, "ana@example.com", Role.AGENT)
    await signed_in(session, base, "ana@example.com")
    return Desk(session, base, services, workspace_id, media_host)


async def test_a_threads_picture_is_shown_from_this_site_and_served_as_the_png_it_is(
    desk: Desk,
) -> None:
    session, base = desk.session, desk.base
    thread_id = await desk.thread_with(_picture(desk.host, "/pic.png", alt_text="A red light"))
    async with session.get(f"{base}/threads/{thread_id}") as page:
        text = await page.text()
    assert desk.host.base not in text  # the media host's address never reaches the page
    assert 'alt="A red light"' in text
    whole, thumbnail = await desk.proxy_links(thread_id)
    assert thumbnail == whole  # no preview: the picture itself, drawn small
    async with session.get(f"{base}{thumbnail}") as answer:
        assert answer.status == 200
        assert await answer.read() == PNG
        assert answer.headers["Content-Type"] == "image/png"
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["Content-Security-Policy"].startswith("default-src 'none'")
        assert re.fullmatch(r"private, max-age=\d+, immutable", answer.headers["Cache-Control"])
    assert desk.host.requests == ["/pic.png"]


async def test_an_image_sent_as_an_unlabelled_file_is_typed_by_its_bytes(desk: Desk) -> None:
    session, base = desk.session, desk.base
    link = await desk.link_to("/untyped.png")
    async with session.get(f"{base}{link}") as answer:
        assert (answer.status, answer.headers["Content-Type"]) == (200, "image/png")


@pytest.mark.parametrize("path", ["/page.html", "/logo.svg", "/liar.png"])
async def test_what_is_not_an_image_is_refused_with_415(desk: Desk, path: str) -> None:
    session, base = desk.session, desk.base
    link = await desk.link_to(path)
    async with session.get(f"{base}{link}") as answer:
        assert answer.status == 415
        assert answer.headers["Content-Type"].startswith("text/plain")
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        body = await answer.text()
    assert "<svg" not in body
    assert "<script" not in body
    assert "not a JPEG, PNG, GIF or WebP image" in body


async def test_an_endless_body_is_refused_with_413_without_being_read_to_its_end(
    desk: Desk,
) -> None:
    session, base = desk.session, desk.base
    link = await desk.link_to("/endless.png")
    async with session.get(f"{base}{link}") as answer:
        assert answer.status == 413
        assert "larger than the 5 MiB" in await answer.text()
    await asyncio.wait_for(desk.host.stream_over.wait(), 30)
    # The proxy hung up soon after its bound: the host could not push the rest.
    assert MAX_IMAGE_BYTES < desk.host.streamed < HUGE


async def test_a_declared_length_beyond_the_bound_is_refused_before_the_body(desk: Desk) -> None:
    session, base = desk.session, desk.base
    link = await desk.link_to("/declared-huge.png")
    # The host holds its body back: an answer at all shows that none of it was awaited.
    async with session.get(f"{base}{link}") as answer:
        assert answer.status == 413
        assert f"({HUGE:,} bytes)" in await answer.text()


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("http://10.0.0.7/pic.png", "private address"),
        ("http://169.254.169.254/latest/meta-data/", "link-local address"),
        ("http://127.0.0.1:1/pic.png", "loopback address"),
        ("https://metadata.google.internal/pic.png", "name of the local network"),
    ],
)
async def test_a_redirect_to_an_internal_address_is_checked_again_and_refused(
    desk: Desk, target: str, reason: str
) -> None:
    session, base = desk.session, desk.base
    link = await desk.link_to(f"/to/{target}")
    async with session.get(f"{base}{link}") as answer:
        assert answer.status == 502
        assert reason in await answer.text()


async def test_redirects_within_allowed_hosts_are_followed_three_times_at_most(desk: Desk) -> None:
    session, base = desk.session, desk.base
    thread_id = await desk.thread_with(
        _picture(desk.host, "/to/to/to/pic.png"),
        _picture(desk.host, "/loop"),
        _picture(desk.host, "/gone.png"),
    )
    links = await desk.proxy_links(thread_id)
    statuses = []
    for link in links[::2]:
        async with session.get(f"{base}{link}") as answer:
            statuses.append((answer.status, await answer.text() if answer.status != 200 else ""))
    assert statuses[0] == (200, "")
    assert statuses[1] == (502, "more than 3 redirects: not followed")
    assert statuses[2][0] == 502
    assert "answered 404" in statuses[2][1]
    assert desk.host.requests.count("/loop") == 4  # the first request and three redirects


async def test_a_link_altered_expired_or_unknown_is_refused(desk: Desk, box: SecretBox) -> None:
    session, base = desk.session, desk.base
    link = await desk.link_to("/pic.png")
    payload, signature = link.removeprefix("/media/").split(".")
    key = box.derived_key("media links")
    past = int((datetime.now(UTC) - timedelta(minutes=1)).timestamp())
    expired = sign_link(key, MediaRef(desk.workspace_id, "x", "1", 0, "full", past))
    never_stored = sign_link(key, MediaRef(desk.workspace_id, "x", "404", 0, "full", past + 86400))
    for attempt, status in (
        (f"{payload}.{signature[::-1]}", 403),
        (f"{payload[:-2]}AA.{signature}", 403),
        ("nonsense", 403),
        (expired, 403),
        (never_stored, 404),
    ):
        async with session.get(f"{base}/media/{attempt}") as answer:
            assert answer.status == status, (attempt, await answer.text())
    assert desk.host.requests == []


async def test_the_proxy_answers_only_a_person_logged_in_to_the_links_workspace(
    desk: Desk, services: Services, db: Database
) -> None:
    base = desk.base
    link = await desk.link_to("/pic.png")
    other = await PgWorkspaceStore(db).ensure_workspace("other", "Other brand")
    await person(services, db, other, "otto@example.com", Role.ADMIN)
    elsewhere = TestServer(create_app(services, other), host="127.0.0.1", port=0)
    await elsewhere.start_server()
    try:
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar) as stranger:
            await signed_in(stranger, str(elsewhere.make_url("")).rstrip("/"), "otto@example.com")
            async with stranger.get(f"{base}{link}") as answer:
                assert answer.status == 403
                assert "another workspace" in await answer.text()
        async with aiohttp.ClientSession() as nobody, nobody.get(f"{base}{link}") as answer:
            assert answer.status == 403
            assert "log in" in await answer.text()
    finally:
        await elsewhere.close()
    assert desk.host.requests == []


async def test_videos_and_links_are_links_to_the_original_with_their_preview_proxied(
    desk: Desk,
) -> None:
    session, base = desk.session, desk.base
    video = MediaAttachment(
        kind=MediaKind.VIDEO,
        url="https://video.example.net/watch/1",
        preview_url=f"{desk.host.base}/pic.png",
        alt_text="the noise it makes",
    )
    card = MediaAttachment(kind=MediaKind.LINK, url="https://status.example.com/", alt_text="S")
    thread_id = await desk.thread_with(video, card)
    async with session.get(f"{base}/threads/{thread_id}") as page:
        text = await page.text()
    assert 'href="https://video.example.net/watch/1"' in text
    assert 'href="https://status.example.com/"' in text
    assert 'rel="noopener noreferrer"' in text
    (preview,) = await desk.proxy_links(thread_id)
    async with session.get(f"{base}{preview}") as answer:
        assert answer.status == 200


async def test_a_host_too_slow_is_given_up_on() -> None:
    host = MediaHost()
    server = TestServer(host.app(), host="127.0.0.1", port=0)
    await server.start_server()
    base = str(server.make_url("")).rstrip("/")
    fetcher = GuardedImageFetcher(allowing(base), seconds=0.5)
    try:
        async with fetcher.running():
            with pytest.raises(MediaUnavailableError) as refused:
                await fetcher.fetch(f"{base}/slow.png")
            assert refused.value.refusal is MediaRefusal.TOO_SLOW
            # Outside the bound, the same fetcher fetches.
            assert (await fetcher.fetch(f"{base}/pic.png")).content_type == "image/png"
    finally:
        host.release.set()
        await server.close()


def test_the_test_key_derives_like_the_instance_key(box: SecretBox) -> None:
    assert box.derived_key("media links") == box.derived_key("media links")
    assert box.derived_key("media links") != box.derived_key("something else")
    assert SecretBox(SecretStr(SecretBox.new_key())).derived_key("media links") != (
        box.derived_key("media links")
    )


# -- in a browser -------------------------------------------------------------------------


def png_of(width: int, height: int) -> bytes:
    """A real PNG of that size (a gradient), for the browser to decode and draw."""
    rows = b"".join(
        b"\x00"
        + bytes(value for x in range(width) for value in (x * 255 // width, y * 255 // height, 160))
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
async def thread_in_browser(
    browser: Any,
    client: tuple[aiohttp.ClientSession, str],
    services: Services,
    db: Database,
    workspace_id: int,
    media_host: MediaHost,
) -> tuple[Any, list[str], list[str]]:
    """Ana's browser on a thread whose customer sent two pictures and a link: the page, what
    its console said, and the addresses it loaded."""
    _, base = client
    media_host.pictures["/router.png"] = png_of(480, 320)
    media_host.pictures["/bill.png"] = png_of(300, 420)
    await person(services, db, workspace_id, "ana@example.com", Role.AGENT)
    message = recent(
        mention("1", conversation="c1", text="@acme my router blinks red, see the photos"), 9
    ).model_copy(
        update={
            "media": (
                _picture(media_host, "/router.png", alt_text="A router, its light red",
                         width=480, height=320),
                _picture(media_host, "/bill.png", width=300, height=420),
                MediaAttachment(kind=MediaKind.LINK, url="https://status.example.com/lyon",
                                alt_text="Network status: Lyon"),
            )
        }
    )  # fmt: skip
    await services.ingest(workspace_id, IngestBatch([message]))
    thread_id = (await services.list_threads(workspace_id))[0].id
    page = await logged_in(browser, base, "ana@example.com")
    said: list[str] = []
    loaded: list[str] = []
    page.on("console", lambda line: said.append(f"{line.type}: {line.text}"))
    page.on("pageerror", lambda error: said.append(f"error: {error}"))
    page.on("request", lambda request: loaded.append(request.url))
    await page.goto(f"{base}/threads/{thread_id}")
    # A function, not an expression: the page's CSP forbids evaluating strings.
    await page.wait_for_function(
        "() => [...document.querySelectorAll('img.thumbnail')]"
        ".every(img => img.complete && img.naturalWidth > 0)",
        timeout=20_000,
    )
    return page, said, loaded


async def test_the_thread_shows_the_pictures_through_the_proxy_under_the_pages_csp(
    thread_in_browser: tuple[Any, list[str], list[str]],
    client: tuple[aiohttp.ClientSession, str],
    media_host: MediaHost,
) -> None:
    _, base = client
    page, said, loaded = thread_in_browser
    drawn = await page.eval_on_selector_all(
        "img.thumbnail",
        "images => images.map(i => [i.getAttribute('src'), i.alt, i.naturalWidth, i.width])",
    )
    assert [alt for _, alt, _, _ in drawn] == [
        "A router, its light red",
        "Image 2 of 3, without a description",
    ]
    assert all(src.startswith("/media/") for src, _, _, _ in drawn)
    assert [natural for _, _, natural, _ in drawn] == [480, 300]
    assert not [line for line in said if "Content Security Policy" in line or "error" in line]
    assert not [url for url in loaded if url.startswith(media_host.base)]
    assert sorted(media_host.requests) == ["/bill.png", "/router.png"]
    for width in (1440, 390):
        await page.set_viewport_size({"width": width, "height": 900})
        await screenshot(page, f"thread-media-{width}")
    # The whole picture opens from its thumbnail, through the proxy too.
    async with page.expect_popup() as opened:
        await page.click("a.attachment-image >> nth=0")
    whole = await opened.value
    await whole.wait_for_load_state()
    assert whole.url.startswith(f"{base}/media/")


async def test_the_thread_with_attachments_has_no_serious_accessibility_violation(
    thread_in_browser: tuple[Any, list[str], list[str]],
) -> None:
    axe = pytest.importorskip("axe_playwright_python.async_playwright", reason="axe not installed")
    page, _, _ = thread_in_browser
    for width in (1440, 390):
        await page.set_viewport_size({"width": width, "height": 900})
        results = await axe.Axe().run(page, context=".attachments")
        serious = [
            (v["id"], v["impact"], [n["target"] for n in v["nodes"]])
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert serious == [], width
