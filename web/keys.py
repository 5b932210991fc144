"""What the application holds for its handlers."""

from __future__ import annotations

from aiohttp import web

from inbox.usecases.services import Services

SERVICES = web.AppKey("services", Services)
# The workspace the login page logs into (the instance's own).
WORKSPACE = web.AppKey("default_workspace", int)
