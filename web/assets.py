"""The pages' stylesheet and script, served from memory under names that carry a hash of
their content (`inbox.3f2a1c9b0d.css`): a browser keeps them for a year and asks again only
when a release changes them. Their plain names still answer, checked again on every use.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

STATIC = Path(__file__).resolve().parent / "static"
CONTENT_TYPES = {
    ".css": "text/css",
    ".js": "text/javascript",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}
TEXT = {".css", ".js", ".svg"}
YEAR = 365 * 24 * 3600


@dataclass(frozen=True, slots=True)
class Asset:
    name: str  # as in the folder: inbox.css
    hashed: str  # inbox.<hash>.css
    digest: str
    body: bytes
    content_type: str


def load(folder: Path = STATIC) -> dict[str, Asset]:
    """The folder's files a page may ask for, by their plain name."""
    assets = {}
    for path in sorted(folder.iterdir()):
        content_type = CONTENT_TYPES.get(path.suffix)
        if content_type is None or not path.is_file():
            continue
        body = path.read_bytes()
        digest = hashlib.sha256(body).hexdigest()[:12]
        hashed = f"{path.stem}.{digest}{path.suffix}"
        assets[path.name] = Asset(path.name, hashed, digest, body, content_type)
    return assets


# Read once, at start: a release changes them, and with them their names.
ASSETS = load()
_BY_ADDRESS = {a.name: a for a in ASSETS.values()} | {a.hashed: a for a in ASSETS.values()}


def asset_url(name: str) -> str:
    """The address to link to: the hashed name, which may be kept forever."""
    return f"/static/{ASSETS[name].hashed}"


async def serve_asset(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    asset = _BY_ADDRESS.get(name)
    if asset is None:
        raise web.HTTPNotFound()
    etag = f'"{asset.digest}"'
    caching = f"public, max-age={YEAR}, immutable" if name == asset.hashed else "no-cache"
    headers = {"Cache-Control": caching, "ETag": etag, "X-Content-Type-Options": "nosniff"}
    if request.headers.get("If-None-Match") == etag:
        return web.Response(status=304, headers=headers)
    suffix = Path(asset.name).suffix
    response = web.Response(
        body=asset.body,
        content_type=asset.content_type,
        charset="utf-8" if suffix in TEXT else None,
        headers=headers,
    )
    if suffix in TEXT:
        response.enable_compression()
    return response


# static/favicon.svg drawn at 16, 32 and 48 px. Browsers ask for it at an address that carries
# no version, so it is cached for a month rather than for ever.
FAVICON_CACHE = "public, max-age=2592000"


async def favicon(request: web.Request) -> web.Response:
    icon = ASSETS["favicon.ico"]
    return web.Response(
        body=icon.body, content_type=icon.content_type, headers={"Cache-Control": FAVICON_CACHE}
    )


def add_assets(app: web.Application) -> None:
    app.router.add_get("/static/{name}", serve_asset)
    app.router.add_get("/favicon.ico", favicon)
