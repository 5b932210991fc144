"""Pages compressed for the browsers that ask, at gzip's fastest level.

A list page is ~170 kB of repetitive markup: gzip takes it to a tenth, which is what an agent
on a phone or a hotel network waits for. The fastest level (1) is chosen over the usual (6):
on the desk's list it costs a third of the CPU for a page a quarter larger on the wire
(~13 kB against ~10 kB), and every agent's list is compressed again at each page. On the
event loop, not in a worker thread: at this level the list takes well under a millisecond,
less than handing it to a thread and back under load (the desk served a quarter fewer
pages a second that way, measured with bench/web.py).

Only HTML of some size is compressed here: the assets compress themselves (and are kept by
browsers), event streams are not buffered responses, and the API answers stay as they are.
Compressed pages never carry the session's CSRF token as itself (see web.csrf: BREACH).
"""

from __future__ import annotations

import functools
import zlib

from aiohttp import hdrs, web

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


_gzip = functools.partial(zlib.compress, level=LEVEL, wbits=GZIP_CONTAINER)


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
