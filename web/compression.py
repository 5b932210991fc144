"""Pages compressed for the browsers that ask, in gzip, by ISA-L (the `isal` package).

A list page is ~170 kB of repetitive markup: gzip takes it to a tenth, which is what an agent
on a phone or a hotel network waits for, and every agent's list is compressed again at each
page. zlib's fastest level (1) took 0.14 ms for the desk's list and was a tenth of the page's
CPU; ISA-L's level 1 takes 0.025 ms for a slightly smaller page (5.6 kB against 6.0 kB for
its rows), the same gzip for the browser. On the event loop, not in a worker thread: handing
the page to a thread and back costs more than compressing it (the desk served a quarter
fewer pages a second that way with zlib, measured with bench/web.py).

Only HTML of some size is compressed here: the assets compress themselves (and are kept by
browsers), event streams are not buffered responses, and the API answers stay as they are.
Compressed pages never carry the session's CSRF token as itself (see web.csrf: BREACH).
"""

from __future__ import annotations

import functools
import zlib

from aiohttp import hdrs, web
from isal import isal_zlib

from web.keys import Handler

# Below this, compressing saves less than a packet.
SMALLEST = 1024
LEVEL = 1
GZIP_CONTAINER = 16 + zlib.MAX_WBITS


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header takes gzip: named (or `*` where it is not) with a
    quality above 0."""
    qualities = {}
    for part in accept_encoding.lower().split(","):
        coding, _, params = part.partition(";")
        quality = params.strip().removeprefix("q=") if params.strip().startswith("q=") else "1"
        try:
            qualities[coding.strip()] = float(quality)
        except ValueError:
            qualities[coding.strip()] = 0.0
    for name in ("gzip", "x-gzip", "*"):
        if name in qualities:
            return qualities[name] > 0
    return False


_gzip = functools.partial(isal_zlib.compress, level=LEVEL, wbits=GZIP_CONTAINER)


@web.middleware
async def compressed_pages(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    if not isinstance(response, web.Response) or response.content_type != "text/html":
        return response
    body = response.body
    if not isinstance(body, bytes) or len(body) < SMALLEST:
        return response
    response.headers.add(hdrs.VARY, hdrs.ACCEPT_ENCODING)
    if hdrs.CONTENT_ENCODING in response.headers or not accepts_gzip(
        request.headers.get(hdrs.ACCEPT_ENCODING, "")
    ):
        return response
    response.body = _gzip(body)
    response.headers[hdrs.CONTENT_ENCODING] = "gzip"
    return response
