"""The inbox's rows: the hottest HTML of the app (every agent's list, again at each live
update), so built in Python rather than by the template engine, which spends most of a page
on many small pieces per row. Every value is escaped here, as the templates would."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from markupsafe import Markup, escape

from inbox.domain.web import InboxRow

NOTHING = Markup('<tr><td colspan="8">Nothing waiting here.</td></tr>')


def span(seconds: float) -> str:
    minutes = int(abs(seconds) // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d}"
    return f"{hours // 24} d {hours % 24} h"


def until(deadline: datetime, now: datetime) -> str:
    """The response deadline as a row says it: how long is left, or how late it is."""
    left = (deadline - now).total_seconds()
    return f"{span(left)} left" if left >= 0 else f"late by {span(left)}"


def waited(since: datetime, now: datetime) -> str:
    """The customer's real wait, whatever the calendar says."""
    return f"waiting {span((now - since).total_seconds())}"


def _deadline(row: InboxRow, now: datetime) -> str:
    due = row.sla_due_at
    if due is None:
        return ""
    late = ' class="late"' if due < now else ""
    return (
        f'<time datetime="{due.isoformat()}" title="{due:%a %d %b %H:%M} UTC"{late}>'
        f"{until(due, now)}</time>"
    )


def _wait(row: InboxRow, now: datetime) -> str:
    since = row.waiting_since
    if since is None:
        return ""
    return (
        f'<time datetime="{since.isoformat()}" title="since {since:%a %d %b %H:%M} UTC">'
        f"{waited(since, now)}</time>"
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


def row_html(row: InboxRow, now: datetime) -> str:
    """One row, every value escaped: what a page is sent when the thread changes."""
    kind = escape(row.kind)
    if row.language:
        kind = kind + " · " + escape(row.language)
    return (
        f'<tr class="priority-{escape(row.priority)}" data-thread="{row.thread_id}"'
        f' data-order="{order_key(row)}">'
        f"<td>{escape(row.author or '')}</td>"
        f"<td>{escape(row.network)}</td>"
        f'<td><a href="/threads/{row.thread_id}">{escape(row.excerpt)}</a></td>'
        f"<td>{kind}</td>"
        f"<td>{escape(row.priority)}</td>"
        f"<td>{_deadline(row, now)}</td>"
        f"<td>{_wait(row, now)}</td>"
        f"<td>{escape(row.assignee or '')}</td>"
        "</tr>\n"
    )


def rows_html(rows: Sequence[InboxRow], now: datetime, *, whole: bool = True) -> Markup:
    """The rows; an empty `whole` view says so in a row, some rows of a view (a live
    update) are only what was found."""
    if not rows:
        return NOTHING if whole else Markup("")
    return Markup("".join(row_html(row, now) for row in rows))  # noqa: S704 - every value escaped
