"""Messages' pictures on the pages: the proxy's signed links, and the pictures behind them.

The thread page shows a message's pictures from this site only (`/media/<link>`), through
links that `MediaLinks` signs as the page is read; `MediaProxy` answers a link with the
picture, for a person logged in to the link's workspace. The rules are in
inbox/domain/media_proxy.py.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, replace

from inbox.domain.clock import Clock, utc_now
from inbox.domain.errors import NotFoundError, PermissionDeniedError
from inbox.domain.media import PICTURED, MediaKind
from inbox.domain.media_proxy import (
    FetchedImage,
    MediaRef,
    Variant,
    link_expiry,
    read_link,
    sign_link,
)
from inbox.domain.web import PageAttachment, PageMessage, ThreadPage, WebSession
from inbox.ports.pages import ImageFetcher, MediaLookup

# Where the web layer serves the proxy (web/media.py).
PROXY_PATH = "/media/"
# The longest a browser keeps a picture: a link is good for a day and a bit.
LONGEST_KEPT_SECONDS = 24 * 3600


class MediaLinks:
    """Signs and reads the proxy's links. `key` gives the signing key (derived from the
    instance's secret key: every process of the instance signs and reads alike)."""

    def __init__(
        self,
        key: Callable[[], bytes],
        *,
        clock: Clock = utc_now,
    ) -> None:
        self._key = key
        self._clock = clock

    def signed(self, workspace_id: int, page: ThreadPage) -> ThreadPage:
        """The page with the proxy's addresses of every picture it shows."""
        if not any(message.attachments for message in page.messages):
            return page
        expires = link_expiry(self._clock())
        return replace(
            page,
            messages=tuple(
                self._message(workspace_id, message, expires) for message in page.messages
            ),
        )

    def _message(self, workspace_id: int, message: PageMessage, expires: int) -> PageMessage:
        if not message.attachments:
            return message
        return replace(
            message,
            attachments=tuple(
                self._attachment(workspace_id, item, expires) for item in message.attachments
            ),
        )

    def _attachment(self, workspace_id: int, item: PageAttachment, expires: int) -> PageAttachment:
        def link(variant: Variant) -> str:
            ref = MediaRef(
                workspace_id, item.network, item.external_id, item.index, variant, expires
            )
            return PROXY_PATH + sign_link(self._key(), ref)

        image = link("full") if MediaKind(item.kind) in PICTURED else None
        thumbnail = link("preview") if item.preview_url is not None else image
        return replace(item, image=image, thumbnail=thumbnail)

    def read(self, link: str) -> MediaRef:
        """What a link names, once its signature and its time are checked."""
        return read_link(self._key(), link, self._clock())


@dataclass(frozen=True, slots=True)
class ProxiedImage:
    """A picture as the proxy answers it, and how long a browser may keep it (seconds)."""

    image: FetchedImage
    max_age: int


class MediaProxy:
    def __init__(
        self,
        links: MediaLinks,
        lookup: MediaLookup,
        fetcher: ImageFetcher,
        *,
        clock: Clock = utc_now,
    ) -> None:
        self._links = links
        self._lookup = lookup
        self._fetcher = fetcher
        self._clock = clock

    def running(self) -> AbstractAsyncContextManager[None]:
        return self._fetcher.running()

    async def image(self, session: WebSession, link: str) -> ProxiedImage:
        """The picture a link names, for a person of its workspace. Any role: the link is
        only ever given on a page its reader may see, and names that one picture."""
        ref = self._links.read(link)
        if ref.workspace_id != session.workspace_id:
            raise PermissionDeniedError("this image belongs to another workspace")
        attachment = await self._lookup.attachment(
            ref.workspace_id, ref.network, ref.external_id, ref.index
        )
        if attachment is None:
            raise NotFoundError("attachment", ref.index)
        if ref.variant == "preview":
            url = attachment.preview_url
        else:
            url = attachment.url if attachment.kind in PICTURED else None
        if url is None:
            raise NotFoundError("picture", ref.index)
        image = await self._fetcher.fetch(url)
        remaining = ref.expires - int(self._clock().timestamp())
        return ProxiedImage(image, max(0, min(remaining, LONGEST_KEPT_SECONDS)))
