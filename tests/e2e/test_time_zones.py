"""Every time in the reader's own zone: chosen on /me, else their team's calendar's, and
labelled where it could be read in another zone's terms."""

from __future__ import annotations

import re

import aiohttp
import pytest
from pydantic import SecretStr

from inbox.domain.people import Role
from inbox.store.people import PgPeopleStore
from tests.e2e.browsing import PASSWORD
from tests.e2e.site import Site, csrf_of
from tests.factories import mention

pytestmark = pytest.mark.integration

Client = tuple[aiohttp.ClientSession, str]
ALWAYS = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


async def team_calendars(site: Site) -> None:
    """The Paris team counts in a Paris calendar; every other thread in New York's."""
    await PgPeopleStore(site.db).save_agent(
        site.workspace_id, "ana@example.com", "Ana", [Role.AGENT], ["paris"]
    )
    await PgPeopleStore(site.db).save_agent(
        site.workspace_id, "bob@example.com", "Bob", [Role.AGENT], []
    )
    for email in ("ana@example.com", "bob@example.com"):
        await site.services.web_logins.set_password(site.workspace_id, email, SecretStr(PASSWORD))
    async with site.db.connection() as conn:
        paris = await conn.fetchval(
            "SELECT id FROM team WHERE workspace_id = $1 AND name = 'paris'", site.workspace_id
        )
    await site.services.sla_settings(
        site.workspace_id,
        {
            "paris": {"tz": "Europe/Paris", "weekly": ALWAYS},
            "new york": {"tz": "America/New_York", "weekly": ALWAYS},
        },
        {
            "policies": {
                "paris": {"name": "paris", "calendar": "paris"},
                "elsewhere": {"name": "elsewhere", "calendar": "new york"},
            },
            "rules": [{"when": {"team_ids": [paris]}, "policy": "paris"}],
            "default": "elsewhere",
        },
    )


async def signed_in(session: aiohttp.ClientSession, base: str, email: str) -> None:
    async with session.post(
        f"{base}/login", data={"email": email, "password": PASSWORD}, allow_redirects=False
    ) as answer:
        assert answer.status == 303, await answer.text()


async def text_of(session: aiohttp.ClientSession, url: str) -> str:
    async with session.get(url) as answer:
        assert answer.status == 200, url
        return await answer.text()


def deadline_words(html: str) -> str:
    """What the thread's SLA panel says its deadline is, with the time's hover text."""
    found = re.search(
        r'<time datetime="[^"]+" title="([^"]+)" class="sla-left">([^<]+)</time>', html
    )
    assert found is not None, "no deadline on the page"
    # The words keep each time on one line (no-break spaces).
    return f"{found.group(2)} | {found.group(1)}".replace("\xa0", " ")


async def ana_on_a_thread(site: Site) -> int:
    """The teams' calendars set, a customer's thread, and Ana logged in: the thread's id."""
    await team_calendars(site)
    thread_id = await a_thread(site)
    await site.sign_in("ana@example.com")
    return thread_id


async def a_thread(site: Site) -> int:
    # Written Monday 2 March 2026 at 09:00 UTC: due an hour later, 11:00 in Paris (CET).
    await site.ingest(mention("1", conversation="c1"))
    async with site.db.connection() as conn:
        thread_id: int = await conn.fetchval(
            "SELECT id FROM thread WHERE workspace_id = $1", site.workspace_id
        )
    return thread_id


async def test_a_person_reads_times_in_their_teams_calendar_zone_without_a_choice(
    site: Site,
) -> None:
    session, base = site.session, site.base
    await team_calendars(site)
    await site.sign_in("ana@example.com")
    me = await text_of(session, f"{base}/me")
    assert 'data-tz="Europe/Paris"' in me
    assert "My team's calendar (Europe/Paris)" in me
    session.cookie_jar.clear()
    # No team: the default policy's calendar.
    await site.sign_in("bob@example.com")
    assert 'data-tz="America/New_York"' in await text_of(session, f"{base}/me")


async def test_a_deadline_shows_in_local_time_labelled_with_its_zone_on_another_day(
    site: Site,
) -> None:
    session, base = site.session, site.base
    thread_id = await ana_on_a_thread(site)
    said = deadline_words(await text_of(session, f"{base}/threads/{thread_id}"))
    assert "Mon 02 Mar" in said
    assert "11:00 CET" in said
    assert "10:00 UTC" not in said


async def test_a_time_zone_chosen_on_me_applies_to_every_page_and_can_be_given_back(
    site: Site,
) -> None:
    session, base = site.session, site.base
    thread_id = await ana_on_a_thread(site)
    csrf = csrf_of(await text_of(session, f"{base}/me"))
    async with session.post(
        f"{base}/me/time-zone",
        data={"csrf": csrf, "time_zone": "Asia/Tokyo"},
        allow_redirects=False,
    ) as answer:
        assert answer.status == 303
        assert answer.headers["Location"] == "/me?saved=time-zone"
    me = await text_of(session, f"{base}/me?saved=time-zone")
    assert "<option selected>Asia/Tokyo</option>" in me
    assert "every page shows times in Asia/Tokyo" in me
    assert "19:00 JST" in deadline_words(await text_of(session, f"{base}/threads/{thread_id}"))

    async with session.post(
        f"{base}/me/time-zone", data={"csrf": csrf, "time_zone": ""}, allow_redirects=False
    ) as answer:
        assert answer.status == 303
    assert 'data-tz="Europe/Paris"' in await text_of(session, f"{base}/me")


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "../../etc/passwd", "UTC" * 30])
async def test_a_time_zone_the_zone_database_does_not_know_is_refused_naming_the_field(
    site: Site, zone: str
) -> None:
    session, base = site.session, site.base
    await team_calendars(site)
    await site.sign_in("ana@example.com")
    csrf = csrf_of(await text_of(session, f"{base}/me"))
    async with session.post(
        f"{base}/me/time-zone", data={"csrf": csrf, "time_zone": zone}, allow_redirects=False
    ) as answer:
        assert answer.status == 400
        # The page of a refused form names the field.
        assert '<p role="alert">time_zone: ' in await answer.text()
    assert 'data-tz="Europe/Paris"' in await text_of(session, f"{base}/me")


async def test_a_time_zone_form_without_its_token_is_refused(site: Site) -> None:
    session, base = site.session, site.base
    await team_calendars(site)
    await site.sign_in("ana@example.com")
    async with session.post(
        f"{base}/me/time-zone", data={"time_zone": "Asia/Tokyo"}, allow_redirects=False
    ) as answer:
        assert answer.status == 403
    assert 'data-tz="Europe/Paris"' in await text_of(session, f"{base}/me")


async def test_a_row_carries_its_chips_its_sla_bar_and_its_priority_edge(site: Site) -> None:
    session, base = site.session, site.base
    await team_calendars(site)
    await site.ingest(
        mention("1", conversation="c1", text="@acme internet down again, nothing works")
    )
    await site.sign_in("ana@example.com")
    html = await text_of(session, f"{base}/inbox?view=all")
    row = re.search(r'<tr class="thread-row [^"]*" data-thread="\d+".*?</tr>', html, re.S)
    assert row is not None
    shown = row.group(0)
    assert re.search(r'class="thread-row priority-(urgent|high|normal|low) sla-overdue"', shown)
    assert '<span class="chip chip-kind chip-kind-complaint">complaint</span>' in shown
    assert 'class="chip chip-priority' in shown
    assert '<span class="chip chip-lang">en</span>' in shown
    # Written in March 2026, due an hour later: overdue, the bar full and red.
    assert '<span class="sla sla-overdue">' in shown
    assert '<span class="sla-track fill-100"></span>' in shown
    assert re.search(r">late by \d+ d \d+ h</time>", shown)
    assert 'title="Mon 02 Mar 2026 11:00 CET"' in shown or "Mon 02 Mar 11:00 CET" in shown
    assert 'aria-hidden="true">HU</span>' in shown  # the author's initials (handle_u1)
    assert '<span class="visually-hidden">X</span>' in shown  # the network, named
