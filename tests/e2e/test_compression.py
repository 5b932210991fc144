"""Pages compressed on the way out, over HTTP: gzip for a browser that asks, the page as it
is for one that does not, small pages and other content left alone."""

from __future__ import annotations

import gzip

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from web.compression import compressed_pages

PAGE = "<!doctype html><p>" + "a row of the list, " * 2000 + "</p>"


async def _answer(path: str, accept_encoding: str) -> tuple[aiohttp.ClientResponse, bytes]:
    async def page(request: web.Request) -> web.Response:
        return web.Response(text=PAGE, content_type="text/html")

    async def small(request: web.Request) -> web.Response:
        return web.Response(text="<p>short</p>", content_type="text/html")

    async def data(request: web.Request) -> web.Response:
        return web.json_response({"rows": PAGE})

    app = web.Application(middlewares=[compressed_pages])
    app.router.add_get("/page", page)
    app.router.add_get("/small", small)
    app.router.add_get("/data", data)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    try:
        async with (
            aiohttp.ClientSession(auto_decompress=False) as session,
            session.get(server.make_url(path), headers={"Accept-Encoding": accept_encoding}) as r,
        ):
            return r, await r.read()
    finally:
        await server.close()


async def test_a_page_is_sent_gzip_to_a_browser_that_asks_and_reads_the_same() -> None:
    answer, body = await _answer("/page", "gzip, deflate, br")

    assert answer.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in answer.headers["Vary"]
    assert int(answer.headers["Content-Length"]) == len(body) < len(PAGE) // 10
    assert gzip.decompress(body).decode() == PAGE
    assert answer.content_type == "text/html"


async def test_a_page_is_sent_as_it_is_to_a_browser_that_does_not_ask() -> None:
    answer, body = await _answer("/page", "identity")

    assert "Content-Encoding" not in answer.headers
    assert "Accept-Encoding" in answer.headers["Vary"]
    assert body.decode() == PAGE


async def test_small_pages_and_api_answers_are_left_as_they_are() -> None:
    for path in ("/small", "/data"):
        answer, _ = await _answer(path, "gzip")
        assert "Content-Encoding" not in answer.headers, path
