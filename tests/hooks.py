"""A webhook receiver on loopback, for the tests of what the inbox sends out."""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web


@dataclass
class HookReceiver:
    """Records each POST to /hooks/<secret> and answers with the statuses it is given (then
    204)."""

    port: int = 0
    statuses: list[int] = field(default_factory=list)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/path-secret"

    @property
    def allowed(self) -> str:
        """INBOX_ALLOWED_INTERNAL_HOSTS naming this receiver, and port 9 where nobody
        listens."""
        return f"127.0.0.1:{self.port},127.0.0.1:9"

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/hooks/{secret}", self._handle)
        return app

    async def _handle(self, request: web.Request) -> web.Response:
        self.received.append((dict(request.headers), await request.read()))
        return web.Response(status=self.statuses.pop(0) if self.statuses else 204)
