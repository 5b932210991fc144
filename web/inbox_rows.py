"""The inbox's rows: the hottest HTML of the app (every agent's list, again at each live
update), so built in Python rather than by the template engine, which spends most of a page
on many small pieces per row. Every value is escaped here, as the templates would, by the
pieces of `web.components` the templates use too.

A row is `<tr data-thread data-order>` with one cell and one link (the excerpt, stretched
over the row): the page's script puts rows in place by those two attributes and moves the
focus from link to link (j/k). Its checkbox (above the link) selects it for the list's
toolbar (`form="selection"`); the script keeps it ticked when the row is sent again.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime, timedelta

from markupsafe import Markup, escape

from inbox.domain.web import InboxRow
from web.components import avatar, chip, network_icon, sla_bar, sla_meter, time_tag
from web.timefmt import LocalTimes, relative, until, waited

NOTHING = Markup(
    '<tr class="nothing"><td><p class="empty-inline">Nothing waiting here.</p></td></tr>'
)


def _wait(row: InboxRow, now: datetime, times: LocalTimes | None) -> str:
    since = row.waiting_since
    if since is None:
        return ""
    return f'<span class="wait">{time_tag(since, waited(since, now), times)}</span>'


def _assignee(row: InboxRow) -> str:
    if row.assignee is None:
        return '<span class="assignee assignee-none">Unassigned</span>'
    return (
        f'<span class="assignee">{avatar(row.assignee, size="sm")}'
        f'<span class="visually-hidden">Assigned to </span>{escape(row.assignee)}</span>'
    )


def _select(thread_id: int, author: str) -> str:
    # In a label that takes a finger's tap around the box, above the row's stretched link.
    return (
        f'<label class="row-pick"><input type="checkbox" class="row-select" name="thread"'
        f' value="{thread_id}" form="selection"'
        f' aria-label="Select the thread of {escape(author or "a customer")}"></label>'
    )


# Fixed widths, so that comparing two keys as text compares the rows' places.
_INSTANT_WIDTH = 16
_LATEST: int = 10**_INSTANT_WIDTH - 1
_ID_WIDTH = 19


def _millis(instant: datetime) -> int:
    millis = int(instant.timestamp() * 1000)
    return max(0, min(_LATEST, millis))


def order_key(row: InboxRow) -> str:
    """The row's place in its list as text: the list's order (nearest deadline first, none
    last; then the latest customer message first; then the newest thread), so that a page
    inserting a row it was sent puts it where the whole list would have it."""
    due = "1" if row.sla_due_at is None else f"0{_millis(row.sla_due_at):0{_INSTANT_WIDTH}d}"
    latest = row.last_inbound_at
    later_first = "1" if latest is None else f"0{_LATEST - _millis(latest):0{_INSTANT_WIDTH}d}"
    newest_first = f"{10**_ID_WIDTH - 1 - row.thread_id:0{_ID_WIDTH}d}"
    return f"{due:<{_INSTANT_WIDTH + 1}}{later_first:<{_INSTANT_WIDTH + 1}}{newest_first}"


# Where a row's link leads, its thread's id after it: the thread's own page, unless the row
# is drawn for one desk (`/inbox?view=…&thread=`), where it opens beside the list.
THREAD_PAGE = "/threads/"


def row_html(
    row: InboxRow,
    now: datetime,
    times: LocalTimes | None = None,
    link: str = THREAD_PAGE,
    opened: bool = False,
) -> str:
    """One row, every value escaped: what a page is sent when the thread changes. Without
    `times` (rendered once for every open page), its times carry no reader's zone. `opened`:
    the thread open beside the list."""
    meter = sla_meter(
        row.sla_due_at,
        now,
        started=row.sla_started_at or row.waiting_since,
        warn_at=row.sla_warn_at,
    )
    due = row.sla_due_at
    latest = row.last_inbound_at
    chips = chip(row.kind, "kind", row.kind) + chip(row.priority, "priority", row.priority)
    if row.language:
        chips += chip(row.language, "lang")
    for tag in row.tags:
        chips += chip(tag, "tag")
    author = row.author or ""
    when = ""
    if latest is not None:
        ago = times.relative(latest) if times is not None else relative(latest, now)
        when = time_tag(latest, ago, times, "row-time")
    deadline = sla_bar(meter, due=due, text=until(due, now) if due else "", times=times)
    is_open = ' is-open"' if opened else '"'
    current = ' aria-current="true"' if opened else ""
    return (
        f'<tr class="thread-row priority-{escape(row.priority)} sla-{meter.state}{is_open}'
        f' data-thread="{row.thread_id}" data-order="{order_key(row)}"><td>'
        f'<div class="row-card">{_select(row.thread_id, author)}{avatar(author)}'
        '<div class="row-body"><div class="row-head">'
        f'<span class="handle">{escape(author)}</span>{network_icon(row.network)}{when}</div>'
        f'<a class="row-link" href="{escape(link)}{row.thread_id}"{current}>'
        f"{escape(row.excerpt)}</a>"
        f'<div class="row-meta"><span class="chips">{chips}</span>{deadline}'
        f"{_wait(row, now, times)}{_assignee(row)}</div>"
        "</div></div></td></tr>\n"
    )


def rows_html(
    rows: Sequence[InboxRow],
    now: datetime,
    *,
    whole: bool = True,
    zone: str | None = None,
    link: str = THREAD_PAGE,
    opened: int | None = None,
) -> Markup:
    """The rows, their times in the reader's `zone`, their links starting with `link`, the
    row of the thread `opened` beside the list marked; an empty `whole` view says so in a
    row, some rows of a view (a live update) are only what was found."""
    if not rows:
        return NOTHING if whole else Markup("")
    # Rows say their times to the minute ("9 min left"): drawn as of the minute, the same
    # row is drawn once for every agent who sees it that minute, not once per page. The
    # minute to come, not the one begun: a deadline never shows more time left than it has.
    minute = now.replace(second=0, microsecond=0)
    if minute != now:
        minute += timedelta(minutes=1)
    # Every value escaped by the pieces that build a row.
    return Markup(  # noqa: S704
        "".join(_row_of_minute(row, minute, zone, link, row.thread_id == opened) for row in rows)
    )


@functools.lru_cache(maxsize=8192)
def _row_of_minute(
    row: InboxRow, minute: datetime, zone: str | None, link: str, opened: bool
) -> str:
    return row_html(row, minute, LocalTimes.of(zone, minute), link, opened)
