"""The pieces of the pages: avatars, icons, chips, times, SLA bars, and the inbox's rows."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from inbox.domain.web import InboxRow
from web.assets import STATIC
from web.components import (
    AVATAR_HUES,
    avatar,
    chip,
    fill_class,
    hue,
    initials,
    network_icon,
    sla_bar,
    sla_meter,
    sla_meter_from_share,
    time_tag,
)
from web.inbox_rows import row_html, rows_html
from web.timefmt import LocalTimes

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
STYLESHEET = (STATIC / "inbox.css").read_text()
XSS = '<script>alert(1)</script>"><img src=x onerror=alert(1)>'


@pytest.mark.parametrize(
    ("name", "said"),
    [("Sarah Kim", "SK"), ("sarah_k", "SK"), ("margot", "MA"), ("@tom.builds", "TB"),
     ("léa martin", "LM"), ("", "?"), (None, "?"), ("🙂", "?")],
)  # fmt: skip
def test_initials_take_the_first_letters_of_two_words(name: str | None, said: str) -> None:
    assert initials(name) == said


def test_a_names_colour_is_the_same_every_time_and_names_spread_over_the_palette() -> None:
    assert hue("Sarah Kim") == hue("sarah kim ") == hue("Sarah Kim")
    names = [f"customer {n}" for n in range(200)]
    assert len({hue(name) for name in names}) == AVATAR_HUES


def test_every_piece_escapes_what_it_is_given() -> None:
    pieces = [avatar(XSS), network_icon(XSS), chip(XSS, "tag"), chip("x", XSS, XSS)]
    pieces.append(time_tag(NOW, XSS, LocalTimes.of("UTC", NOW), XSS))
    for html in pieces:
        assert "<script" not in html, html
        assert "<img" not in html, html
        assert 'class="' + XSS not in html


def test_a_network_icon_is_named_for_screen_readers() -> None:
    html = network_icon("mastodon")
    assert 'aria-hidden="true"' in html
    assert '<span class="visually-hidden">Mastodon</span>' in html
    assert "net-other" in network_icon("carrier-pigeon")


def test_only_known_values_colour_a_chip() -> None:
    assert chip("complaint", "kind", "complaint") == (
        '<span class="chip chip-kind chip-kind-complaint">complaint</span>'
    )
    assert chip("made up", "kind", "made up") == '<span class="chip chip-kind">made up</span>'


def test_a_time_without_a_readers_zone_has_no_title_for_the_page_to_fill() -> None:
    assert time_tag(NOW, "2 min ago", None) == (
        '<time datetime="2026-12-07T08:00:00+00:00">2 min ago</time>'
    )
    paris = LocalTimes.of("Europe/Paris", NOW)
    assert 'title="Mon 07 Dec 09:00 CET"' in time_tag(NOW, "2 min ago", paris)


START = NOW - timedelta(minutes=40)
WARN = START + timedelta(minutes=45)
DUE = START + timedelta(minutes=60)


@pytest.mark.parametrize(
    ("now", "state", "used"),
    [(START, "on-time", 0.0), (START + timedelta(minutes=30), "on-time", 0.5),
     (WARN, "at-risk", 0.75), (WARN + timedelta(minutes=10), "at-risk", 0.75 + 0.25 * 10 / 15),
     (DUE, "overdue", 1.0), (DUE + timedelta(days=2), "overdue", 1.0)],
)  # fmt: skip
def test_a_clock_is_at_risk_from_its_warning_and_overdue_from_its_deadline(
    now: datetime, state: str, used: float
) -> None:
    meter = sla_meter(DUE, now, started=START, warn_at=WARN)
    assert meter.state == state
    assert meter.used == pytest.approx(used)


def test_over_a_closed_weekend_the_bar_waits_for_the_clocks_own_warning() -> None:
    # Friday 18:30, a calendar closed until Monday 09:00: warned Monday 09:15, due 09:30.
    friday = datetime(2026, 12, 4, 17, 30, tzinfo=UTC)
    warn, due = datetime(2026, 12, 7, 8, 15, tzinfo=UTC), datetime(2026, 12, 7, 8, 30, tzinfo=UTC)
    sunday_night = datetime(2026, 12, 6, 22, 0, tzinfo=UTC)
    assert sla_meter(due, sunday_night, started=friday, warn_at=warn).state == "on-time"
    assert sla_meter(due, warn, started=friday, warn_at=warn).state == "at-risk"


def test_without_the_clocks_instants_the_bar_still_says_late_or_not() -> None:
    assert sla_meter(None, NOW).state == "none"
    assert sla_meter(NOW - timedelta(minutes=1), NOW).state == "overdue"
    assert sla_meter(NOW + timedelta(hours=2), NOW).state == "on-time"
    assert sla_meter_from_share(NOW + timedelta(minutes=5), NOW, 0.8).state == "at-risk"


def test_the_bar_is_coloured_by_state_with_the_time_left_and_the_deadline_on_hover() -> None:
    paris = LocalTimes.of("Europe/Paris", NOW)
    meter = sla_meter(DUE, NOW, started=START, warn_at=WARN)
    html = sla_bar(meter, due=DUE, text=paris.until(DUE), times=paris)
    assert html.startswith('<span class="sla sla-on-time">')
    assert '<span class="sla-track fill-65"></span>' in html  # 40 of 45 min to the warning
    assert 'title="Mon 07 Dec 09:20 CET"' in html
    assert ">20 min left</time>" in html
    none = sla_bar(sla_meter(None, NOW), due=None, text="", times=paris)
    assert none == '<span class="sla sla-none">no deadline</span>'


ROW = InboxRow(
    thread_id=42,
    network="x",
    status="open",
    priority="high",
    kind="complaint",
    language="fr",
    topics=("network",),
    excerpt="4G down in Lyon?",
    sla_due_at=DUE,
    last_inbound_at=NOW - timedelta(minutes=2),
    answered=False,
    assignee="Léa Martin",
    author="sarah_k",
    waiting_since=START,
    sla_started_at=START,
    sla_warn_at=WARN,
)


def test_a_row_shows_who_where_when_what_its_chips_its_bar_and_its_assignee() -> None:
    html = row_html(ROW, NOW, LocalTimes.of("Europe/Paris", NOW))
    assert html.startswith('<tr class="thread-row priority-high sla-on-time" data-thread="42"')
    assert re.search(r'data-order="0\d+', html)
    assert ">SK</span>" in html
    assert '<span class="handle">sarah_k</span>' in html
    assert '<span class="visually-hidden">X</span>' in html
    assert ">2 min ago</time>" in html
    assert '<a class="row-link" href="/threads/42">4G down in Lyon?</a>' in html
    assert 'chip-kind-complaint">complaint' in html
    assert 'chip-priority-high">high' in html
    assert '<span class="chip chip-lang">fr</span>' in html
    assert '<span class="sla sla-on-time">' in html
    assert ">20 min left</time>" in html
    assert ">waiting 40 min</time>" in html
    assert "Léa Martin</span>" in html
    assert html.count("<a ") == 1  # one link a row: the keys move from row to row by it


def test_a_row_escapes_everything_the_customer_wrote_or_the_store_holds() -> None:
    hostile = ROW._replace(
        author=XSS, excerpt=XSS, assignee=XSS, language=XSS, priority=XSS, kind=XSS
    )
    html = row_html(hostile, NOW)
    assert "<script" not in html
    assert "<img" not in html
    assert "priority-&lt;script" in html


def test_an_empty_view_says_so_and_a_live_update_adds_nothing() -> None:
    assert "Nothing waiting here." in rows_html([], NOW)
    assert rows_html([], NOW, whole=False) == ""


@pytest.mark.parametrize(
    ("used", "fill"),
    [(-1.0, "fill-0"), (0.02, "fill-0"), (0.026, "fill-5"), (0.5, "fill-50"),
     (0.999, "fill-100"), (3.0, "fill-100")],
)  # fmt: skip
def test_the_bars_fill_goes_in_steps_the_stylesheet_knows(used: float, fill: str) -> None:
    assert fill_class(used) == fill
    assert f".{fill} {{ --fill: " in STYLESHEET
