"""The pages' template engine: autoescaping everything, strict about undefined names, with
the pieces of `web.components`, the assets' addresses and the reader's times at hand.

Templates use the macros of `templates/ui.html` (docs/design-system.md); `times` in their
context is the reader's `web.timefmt.LocalTimes`.
"""

from __future__ import annotations

from datetime import datetime

import jinja2

from inbox.domain.clock import utc_now
from inbox.domain.people import Role
from inbox.domain.web import WebSession
from inbox.usecases.time_zones import time_zone_names
from web import components
from web.assets import asset_url
from web.timefmt import LocalTimes

# What a role may open, as the rail offers it (each page checks again).
STAFF = (Role.AGENT, Role.LEAD, Role.OPS, Role.ADMIN)
# Who routing gives threads to, and so who sets a status (available, busy, away).
ROUTED = (Role.AGENT, Role.LEAD, Role.ADMIN, Role.COMMUNITY)
PAGES = (
    ("/incidents", "Incidents", (Role.OPS, Role.LEAD, Role.ADMIN)),
    ("/dashboard", "Dashboard", (Role.LEAD, Role.OPS, Role.ADMIN)),
    ("/me", "Me", STAFF),
    ("/admin", "Admin", (Role.LEAD, Role.ADMIN)),
    # A community member's one page; staff review the community's answers on theirs.
    ("/community", "Community", (Role.COMMUNITY,)),
    ("/community/review", "Community answers", (Role.AGENT, Role.LEAD, Role.ADMIN)),
)
VIEW_LABELS = (
    ("mine", "Mine"),
    ("team", "My teams"),
    ("unassigned", "Unassigned"),
    ("waiting", "Waiting"),
    ("community", "Community"),
    ("snoozed", "Snoozed"),
    ("all", "All"),
)


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        # Read once, like the assets: a release changes them. Checking every file a page
        # extends, imports or includes for a change was a dozen stat calls per page.
        auto_reload=False,
    )
    env.globals.update(
        asset=asset_url,
        components=components,
        staff=STAFF,
        routed=ROUTED,
        rail_pages=PAGES,
        view_labels=VIEW_LABELS,
        time_zone_names=time_zone_names,
    )
    return env


def page_times(session: WebSession | None, now: datetime | None = None) -> LocalTimes:
    """The reader's times for one page: their zone (UTC before logging in)."""
    return LocalTimes.of(session.time_zone if session else None, now or utc_now())
