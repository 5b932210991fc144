"""The dashboards and the incident page over HTTP, read as their users read them: charts with
their axes, legends and denominators, in the reader's own time zone; adoption by team; an
incident in plain words with its history, its places and its threads; no internal units."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from inbox.domain.incidents import Incident
from inbox.domain.mention import Mention
from inbox.domain.people import Role
from inbox.domain.web import WebSession
from tests.e2e.site import Site, csrf_of, page_text
from tests.factories import mention

pytestmark = pytest.mark.integration

Client = tuple[aiohttp.ClientSession, str]
NEW_YORK = ZoneInfo("America/New_York")
OUTAGE = "@acme the fibre is down in Lyon since this morning, nothing works, fix it"


def ago(message: Mention, minutes: float) -> Mention:
    return message.model_copy(update={"created_at": datetime.now(UTC) - timedelta(minutes=minutes)})


def words(html: str) -> str:
    """The page's text, whatever its markup."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def figure(html: str, key: str) -> str:
    found = re.search(rf'<figure class="chart[^"]*" id="{key}">.*?</figure>', html, re.S)
    assert found is not None, key
    return found.group(0)


def assert_a_chart(chart: str) -> None:
    """A chart a reader can read: a title and a description for screen readers, its figures
    as a table; columns on an axis with a legend naming each series (a list of bars names
    each bar beside it instead)."""
    assert 'role="img"' in chart
    assert "<title" in chart
    assert "<desc" in chart
    assert "The figures</summary>" in chart
    if "chart-columns" in chart:
        assert 'class="chart-axis"' in chart
        assert 'class="chart-legend"' in chart
        assert 'class="chart-tick"' in chart


async def lyon_outage(site: Site, minutes_ago: int) -> Incident:
    """The fibre outage in Lyon, opened by hand by ops, started that long ago."""
    ops = WebSession(site.workspace_id, 1, "Omar", frozenset({Role.OPS}), "csrf")
    return await site.services.incidents.open(
        ops,
        title="Fibre down, Lyon",
        keywords=["fibre"],
        places=["Lyon"],
        started_at=datetime.now(UTC) - timedelta(minutes=minutes_ago),
    )


async def test_a_lead_reads_the_dashboard_as_charts_in_their_own_zone_with_denominators(
    site: Site,
) -> None:
    session, base = site.session, site.base
    await site.hire("lea@example.com", Role.LEAD)
    await site.hire("ana@example.com")
    await site.ingest(
        ago(mention("1", conversation="c1", author="u1"), 5),
        ago(mention("2", conversation="c2", author="u2"), 90),
    )
    await site.sign_in("lea@example.com")
    csrf = csrf_of(await page_text(session, f"{base}/me"))
    async with session.post(
        f"{base}/me/time-zone", data={"csrf": csrf, "time_zone": "America/New_York"}
    ) as saved:
        assert saved.status == 200

    html = await page_text(session, f"{base}/dashboard")
    text = words(html)
    today = datetime.now(NEW_YORK)
    assert "The last 7 days, in America/New_York" in text
    clocks = figure(html, "clocks-per-day")
    assert_a_chart(clocks)
    # The days are the lead's days, ending today in New York; each says how many clocks.
    assert f"{today:%a} {today:%d}" in words(clocks)
    assert re.search(r"\d+ clocks?<", clocks)
    for series in ("Met on the business clock", "Within 60 min, arrived in hours"):
        assert series in clocks
    queue = figure(html, "waiting-by-age")
    assert_a_chart(queue)
    assert "2 customers waiting for an answer now; 1 of them for an hour or more." in text
    assert "1 of 2 waiting" in queue
    # Adoption, by team and never by person (comparisons are off).
    assert "by team, never by person" in text
    assert_a_chart(figure(html, "active-people"))
    # No public answer by the brand yet: said in words, not drawn as an empty chart.
    assert 'id="answers-through-inbox"' not in html
    assert "No public answer yet" in text
    assert "care" in words(figure(html, "active-people"))
    assert "nats" not in html


async def test_an_agent_reads_their_own_clocks_and_queue_as_charts_on_me(site: Site) -> None:
    session, base = site.session, site.base
    await site.hire("ana@example.com")
    await site.ingest(ago(mention("1", conversation="c1"), 20))
    await site.sign_in("ana@example.com")
    html = await page_text(session, f"{base}/me")
    clocks = figure(html, "my-clocks-per-day")
    assert_a_chart(clocks)
    assert "Day by day, on my threads" in clocks
    queue = figure(html, "my-waiting-by-age")
    assert_a_chart(queue)
    assert "1 customer waiting for an answer now" in words(queue)
    assert "under 15 min: 0 of 1 waiting" in queue
    assert "15 min – 1 h: 1 of 1 waiting" in queue


async def test_ops_read_an_incident_in_plain_words_with_its_build_up_places_and_threads(
    site: Site,
) -> None:
    session, base = site.session, site.base
    await site.hire("omar@example.com", Role.OPS)
    # Two complaints an hour before, then the burst: six in the last ten minutes.
    before = [ago(mention(f"b{n}", author=f"early{n}", text=OUTAGE), 60 + n) for n in range(2)]
    burst = [ago(mention(f"n{n}", author=f"late{n}", text=OUTAGE), 1 + n) for n in range(6)]
    await site.ingest(*before, *burst)
    incident = await lyon_outage(site, minutes_ago=10)
    await site.sign_in("omar@example.com")
    html = await page_text(session, f"{base}/incidents/{incident.id}")
    text = words(html)
    assert "<h1>Fibre down, Lyon</h1>" in html
    # The sentence over the burst: how many, in how long, against the usual.
    assert re.search(r"6 complaints in 1\d minutes; no usual level yet", text)
    chart = figure(html, "incident-history")
    assert_a_chart(chart)
    assert "against the usual level" in chart
    assert "The burst" in chart  # the highlight is in the legend
    assert 'class="chart-highlight"' in chart
    # The build-up: the chart starts hours before the burst and shows the early complaints.
    observed = [int(n) for n in re.findall(r"<td>(\d+) complaints?</td>", chart)]
    assert sum(observed) == 8
    # The places of the linked complaints with their counts, and each linked thread.
    assert "Places: Lyon (6)" in text
    for author in ("late0", "late5"):
        assert f"handle_{author}" in text
    # No internal units, no rows of zeros.
    assert "nats" not in text.split("How the detector saw it")[0]
    assert "<td>0 complaints</td>" not in chart
