"""What the application holds for its handlers, and how a handler reads it.

The keys are set once, on the outermost application, by `web.app.create_app`; handlers of the
sub-applications (the JSON API, /metrics) read them through `request.config_dict`, which
looks them up from the handler's own application outwards.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from aiohttp import web

from inbox.domain.clock import Clock
from inbox.usecases.services import Services

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

SERVICES = web.AppKey("services", Services)
# The web layer's one clock, given by the composition root (a test may hold it still).
CLOCK: web.AppKey[Clock] = web.AppKey("clock")


def services_of(request: web.Request) -> Services:
    return request.config_dict[SERVICES]


def now(request: web.Request) -> datetime:
    """The time, as the application's clock tells it (aware, UTC)."""
    return request.config_dict[CLOCK]()
