"""The desk: the thread list and the open thread side by side (`/inbox?view=…&thread=ID`),
and the thread's pane on its own (`/threads/ID`, and its fragment for the page's script).

Both page families draw it, `web.pages` the inbox and `web.thread_pages` a thread and the
answers to its actions, so it lives below them. Where an action on the open thread comes back
to is the desk it was posted from (`back_to`), rebuilt from the parameters a desk knows: an
address from elsewhere never becomes a redirect.
"""

from __future__ import annotations

import dataclasses
import functools
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from aiohttp import web
from markupsafe import Markup, escape

from inbox.domain.desk import DeskRead, ThreadRead
from inbox.domain.people import Role
from inbox.domain.thread import Priority, ThreadKind
from inbox.domain.web import ANY, InboxFilters, ThreadPage, WebSession
from inbox.usecases.canned import CannedResponse
from inbox.usecases.customers import suggested_among
from inbox.usecases.web_pages import SNOOZES, VIEWS, snooze_words
from routing.reply_checks import LINK_LENGTH, SHORTENED_LINKS, ReplyWarning, room
from web.inbox_rows import rows_html
from web.keys import now, services_of
from web.notices import said
from web.params import LARGEST_ID
from web.rendering import render, render_around
from web.templating import page_times
from web.timefmt import LocalTimes, span
from web.view_params import FILTERS, filters_from

THREAD_KINDS = tuple(k.value for k in ThreadKind if k is not ThreadKind.UNCLASSIFIED)
URGENCIES = tuple(p.value for p in Priority)
SNOOZE_LABELS = tuple((key, snooze_words(hours)) for key, hours in SNOOZES.items())
# Who may change a thread's state (community members answer through their own flow).
DESK = (Role.AGENT, Role.LEAD, Role.ADMIN)
# The length of a reply on a network that sets none (the inbox's own bound).
NO_LIMIT = 5000
NOTICES = {
    "sent": "Reply queued: it leaves through the connected account.",
    "private": "Private message queued, and the public “we've written to you in private”.",
    "collision": "A colleague is replying to this thread: tick the box to send anyway.",
    "taken": "The thread is yours.",
    "assigned": "Assigned.",
    "closed": "Closed: no reply needed. A new message from the customer reopens it.",
    "resolved": "Resolved. A new message from the customer reopens it.",
    "snoozed": "Snoozed: it comes back on its own, or when the customer writes.",
    "woken": "Back in its views.",
    "corrected": "Classification corrected; the SLA deadline follows it.",
    "noted": "Note added (colleagues only).",
    "customer_noted": "Note about the customer added: it shows on all their threads.",
    "customer_saved": "Customer record saved.",
}
CLOCK_NAMES = {
    "first_response": "First response",
    "next_response": "Next response",
    "resolution": "Resolution",
}


@dataclass(frozen=True, slots=True)
class DeskPlace:
    """Where a person is on the desk: a view, its filters and the thread open, if any."""

    view: str = "mine"
    filters: InboxFilters = ANY
    thread_id: int | None = None

    @classmethod
    def of(cls, query: Mapping[str, str]) -> DeskPlace:
        view = query.get("view", "mine")
        raw = query.get("thread", "")
        thread = int(raw) if raw.isdigit() and 1 <= int(raw[:20]) <= LARGEST_ID else None
        return cls(view if view in VIEWS else "mine", filters_from(query), thread)

    def url(self, *, thread_id: int | None = None, **extra: str) -> str:
        """The desk's address with this view and filters, `thread_id` open (none: the list)."""
        params = [("view", self.view)]
        params += [(name, value) for name in FILTERS if (value := getattr(self.filters, name))]
        if thread_id is not None:
            params.append(("thread", str(thread_id)))
        params += [(key, value) for key, value in extra.items() if value]
        return "/inbox?" + urlencode(params)

    @property
    def list_url(self) -> str:
        return self.url()

    @property
    def thread_link(self) -> str:
        """What a row's link starts with, its thread's id after it."""
        return self.url() + "&thread="


def posted_from(back: str) -> DeskPlace | None:
    """The desk a thread's form was posted from (its `back` field), None for the thread's
    own page (or anything else)."""
    if back.startswith("/inbox?"):
        return DeskPlace.of(dict(parse_qsl(back[len("/inbox?") :])))
    return None


def back_to(back: str, thread_id: int) -> str:
    """Where an action on a thread answers to: the desk it was posted from (its view and
    filters, the thread open), else the thread's own page."""
    place = posted_from(back)
    return place.url(thread_id=thread_id) if place else f"/threads/{thread_id}"


def with_notice(url: str, notice: str, told: int = 0) -> str:
    extra = [("notice", notice)] + ([("told", str(told))] if told else [])
    return f"{url}{'&' if '?' in url else '?'}{urlencode(extra)}"


@dataclass(frozen=True, slots=True)
class ClockLine:
    """A running clock as the thread's SLA panel says it: its bar's share and words."""

    name: str
    due: datetime | None  # None while the clock is paused
    used: float
    words: str


def clock_lines(clocks: Iterable[Mapping[str, Any]], times: LocalTimes) -> list[ClockLine]:
    """Each running clock: "41 min left of 60 · due 10:42" in business time (the contract),
    or "late by 12 min · was due 10:42"; the deadline in the reader's zone."""
    lines = []
    for clock in clocks:
        if clock.get("stopped_at") is not None:
            continue
        deadline = clock.get("deadline")
        due = _instant(deadline) if deadline else None
        target = float(clock.get("target_minutes") or 0)
        used_minutes = float(clock.get("business_minutes") or 0)
        name = CLOCK_NAMES.get(str(clock.get("kind")), str(clock.get("kind")).replace("_", " "))
        budget = _whole(_budget(target))
        if due is None:
            words = f"paused · {_whole(span(used_minutes * 60))} used of {budget}"
        elif times.now >= due:
            late = _whole(span((times.now - due).total_seconds()))
            words = f"late by {late} · was due {_whole(times.short(due))}"
        else:
            left = _whole(span(max(0.0, target - used_minutes) * 60))
            words = f"{left} left of {budget} · due {_whole(times.short(due))}"
        used = used_minutes / target if target else 1.0
        lines.append(ClockLine(name, due, used, words))
    return lines


def _budget(minutes: float) -> str:
    """A clock's target as a lead says it: "60 min", "4 h", "2 d 0 h"."""
    if minutes < 180:
        return f"{round(minutes)} min"
    hours, rest = divmod(round(minutes), 60)
    return f"{hours} h" if not rest and hours < 48 else span(minutes * 60)


def _whole(words: str) -> str:
    """A duration or a time kept on one line ("1 h 00", "Mon 02 Mar 11:00 CET"): a narrow
    pane wraps the clock's words between them, never inside one."""
    return words.replace(" ", "\u00a0")


def _instant(value: str | datetime) -> datetime:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _canned(
    responses: Sequence[Any], page: ThreadPage, session: WebSession
) -> list[tuple[str, str]]:
    """Canned responses filled for the thread, those in its language first."""
    customer = page.customer_handle or next(
        (m.author for m in reversed(page.messages) if m.inbound), ""
    )
    ordered = sorted(responses, key=lambda r: (r.language != page.language, r.name.casefold()))
    return [
        (
            f"{r.name} ({r.language})" if r.language else r.name,
            r.filled(
                customer=f"@{customer}" if customer else "",
                agent=session.name,
                thread=page.thread_id,
            ),
        )
        for r in ordered
    ]


async def thread_pane(
    request: web.Request,
    session: WebSession,
    thread_id: int,
    *,
    place: DeskPlace | None,
    notice: str = "",
    told: str = "",
    draft: str = "",
    warnings: Sequence[ReplyWarning] = (),
    others_replying: bool = False,
    read: ThreadRead | None = None,
) -> dict[str, Any]:
    """What the thread's pane shows (`thread_pane.html`): on the desk at `place`, or on the
    thread's own page (`place` None); the thread and what stands around it as `read` with
    the session, when they were."""
    services = services_of(request)
    workspace_id = session.workspace_id
    read = read or await services.inbox_pages.thread_read_by(session, thread_id)
    page = read.page
    assert page is not None  # a read without its thread is refused (NotFoundError)
    clocks = services.explain_sla.explained(workspace_id, read.sla, session.time_zone)
    preferences = read.preferences
    record = read.customer.record
    incidents = list(read.incidents)
    canned = [CannedResponse(*stored) for stored in read.canned]
    owners = list(read.owners)
    suggested = suggested_among(read.customer)
    limit = room(page.network, page.customer_handle, page.private)
    return {
        "page": page,
        "on_desk": place is not None,
        "back": place.url(thread_id=thread_id) if place else f"/threads/{thread_id}",
        "list_url": place.list_url if place else "/inbox",
        "incidents": incidents,
        "canned": _canned(canned, page, session),
        "limit": NO_LIMIT if limit is None else limit,
        # How long a link counts on the thread's network, for the reply box's counter.
        "link_length": LINK_LENGTH if page.network in SHORTENED_LINKS else 0,
        "reply_key": secrets.token_urlsafe(16),
        "notice": NOTICES.get(notice),
        "told": told[:200],
        "clocks": clocks,
        "clock_lines": clock_lines(clocks, page_times(session, now(request))),
        "crm_url": preferences.crm_url(page.customer.crm_id if page.customer else None),
        "kinds": THREAD_KINDS,
        "urgencies": URGENCIES,
        "snoozes": SNOOZE_LABELS,
        # Only the actions the person may take are offered: ops read and write notes.
        "can_act": session.has(*DESK),
        # The customer's record beside the thread: its form, and who may be the same person.
        "record": record,
        "suggested": suggested,
        "owners": owners if record else [],
        "see_incidents": session.has(Role.OPS, Role.LEAD, Role.ADMIN),
        "draft": draft,
        "warnings": list(warnings),
        "others_replying": others_replying,
    }


@functools.lru_cache(maxsize=256)
def assign_choices(
    colleagues: tuple[tuple[int, str], ...], teams: tuple[tuple[int, str], ...], me: int
) -> Markup:
    """The toolbar's "Assign to" choices after "Me": every colleague but the reader, then the
    teams, each name escaped. Built in Python and kept per workspace's people and reader: a
    hundred colleagues drawn piece by piece by the template were a third of the desk's
    rendering."""
    people = "".join(
        f'<option value="agent:{agent_id}">{escape(name)}</option>'
        for agent_id, name in colleagues
        if agent_id != me
    )
    groups = "".join(
        f'<option value="team:{team_id}">{escape(name)}</option>' for team_id, name in teams
    )
    return Markup(  # noqa: S704 (every name escaped above)
        f'<optgroup label="Colleagues">{people}</optgroup>'
        f'<optgroup label="Teams">{groups}</optgroup>'
    )


async def desk_page(
    request: web.Request,
    session: WebSession,
    place: DeskPlace,
    pane: dict[str, Any] | None,
    *,
    status: int = 200,
    read: DeskRead | None = None,
) -> web.Response:
    """The inbox's view at `place`: its list, and the pane of the open thread beside it;
    the list and the toolbar's names as `read` with the session, when they were."""
    services = services_of(request)
    pages = services.inbox_pages
    instant = now(request)
    # Who may act on threads gets the list's tools: Next, and the selection's toolbar.
    can_act = session.has(*DESK)
    if read is None:
        rows = await pages.inbox(session, place.view, filters=place.filters)
        colleagues, teams = await services.bulk.assignees(session) if can_act else ((), ())
    else:
        rows, colleagues, teams = read.rows, read.colleagues, read.teams
        if not can_act:
            colleagues, teams = (), ()
    opened = place.thread_id if pane is not None else None
    html = rows_html(rows, instant, zone=session.time_zone, link=place.thread_link, opened=opened)
    # The rail's counts when read in the last seconds; else the page's script asks.
    view_counts = pages.kept_counts(session)
    context = {
        "session": session,
        "count": len(rows),
        "view_counts": view_counts,
        "view": place.view,
        "filters": place.filters,
        "filtered": sum(1 for name in FILTERS if getattr(place.filters, name)),
        "place": place,
        "can_act": can_act,
        "assign_choices": assign_choices(tuple(colleagues), tuple(teams), session.agent_id),
        "snoozes": SNOOZE_LABELS,
        "said": said(request.query, session),
    }
    if pane is None:
        # Without a thread open the page shows no time: all it shows around its rows is in
        # the key (the session but for the address it was read from, which it does not show).
        key = (
            "inbox.html",
            status,
            dataclasses.replace(session, address=None),
            tuple(sorted(view_counts.items())) if view_counts else None,
            *(value for name, value in context.items() if name not in ("session", "view_counts")),
        )
        return render_around(
            "inbox.html", "rows", html, key=key, status=status, pane=None, **context
        )
    return render("inbox.html", status, instant=instant, rows=html, pane=pane, **context)
