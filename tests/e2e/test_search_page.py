"""The search page over real HTTP: each thread found says who wrote, on which network, when
its newest match was (in the reader's zone), where it stands and who has it, with the
words searched marked and every piece of network text escaped."""

from __future__ import annotations

import re

import pytest

from inbox.domain.network import Network
from inbox.domain.people import Role
from inbox.store.workspaces import PgWorkspaceStore
from tests.e2e.site import Site, csrf_of
from tests.factories import mention

pytestmark = pytest.mark.integration

HOSTILE = "<img src=x onerror=alert(1)> my invoice \x01is\x02 wrong <b>again</b>"


def found_threads(page: str) -> list[str]:
    """Each thread found, as its markup."""
    return re.findall(r'<li class="found-thread">.*?</li>', page, re.S)


def words_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


async def tokyo(site: Site) -> None:
    """The signed-in person reads their times in Asia/Tokyo."""
    csrf = csrf_of(await site.text("/me"))
    async with site.session.post(
        f"{site.base}/me/time-zone", data={"csrf": csrf, "time_zone": "Asia/Tokyo"}
    ) as answer:
        assert answer.status == 200


async def test_a_thread_found_names_its_customer_network_date_status_and_assignee(
    site: Site,
) -> None:
    await site.hire("ana@example.com")
    # Routed to Ana, the only agent: the thread is hers. Written 2 March 2026, 09:05 UTC.
    await site.ingest(
        mention("1", author="jane", conversation="c1", text="where is my parcel"),
        mention("2", author="jane", conversation="c1", minute=5, text="the invoice is wrong"),
        mention("3", author="bob", conversation="c2", minute=9, text="lovely weather"),
    )
    await site.sign_in("ana@example.com")
    await tokyo(site)
    page = await site.text("/search?q=invoice")
    [thread] = found_threads(page)
    assert "@handle_jane" in thread
    assert "JANE" in thread  # the customer's name beside the handle
    assert 'class="net net-x" title="X"' in thread  # the network, named
    when = re.search(r'<time datetime="2026-03-02T09:05:00\+00:00" title="([^"]+)"', thread)
    assert when is not None, thread
    assert "02 Mar" in when.group(1)
    assert "18:05 JST" in when.group(1)  # the exact time in the reader's zone
    assert re.search(r'<span class="assignee">.*?ana\s*</span>', thread, re.S)  # who has it
    assert "<mark>invoice</mark>" in thread  # the matching message, not the thread's first
    assert "lovely weather" not in page


async def test_the_words_searched_are_marked_and_network_text_stays_text(site: Site) -> None:
    await site.hire("ana@example.com")
    await site.ingest(mention("1", conversation="c1", text=HOSTILE))
    await site.sign_in("ana@example.com")
    page = await site.text("/search?q=invoices")  # the stem finds "invoice"
    [thread] = found_threads(page)
    assert "<mark>invoice</mark>" in thread
    assert "&lt;img src=x onerror=alert(1)&gt;" in thread
    assert "&lt;b&gt;again&lt;/b&gt;" in thread
    assert "<img src=x" not in page
    assert "<b>again" not in page
    # A control character a message holds can neither open nor close a mark.
    assert "<mark>is</mark>" not in thread
    assert "\x01" not in page


async def test_an_answer_of_the_brand_that_matches_says_it_is_ours(site: Site) -> None:
    await site.hire("ana@example.com")
    await PgWorkspaceStore(site.db).add_account(site.workspace_id, Network.X, "brand", "acme")
    await site.ingest(
        mention("1", conversation="c1", text="my router blinks"),
        mention("2", author="brand", conversation="c1", minute=3, text="a refund is on its way"),
    )
    await site.sign_in("ana@example.com")
    [thread] = found_threads(await site.text("/search?q=refund"))
    assert "Our answer:" in thread
    assert "@handle_u1" in thread  # the customer, not the brand's account


async def test_an_empty_search_says_what_search_looks_through(site: Site) -> None:
    await site.hire("ana@example.com")
    await site.sign_in("ana@example.com")
    page = words_of(await site.text("/search"))
    assert "Find a conversation or a customer" in page
    assert "every message of every thread is searched" in page


async def test_a_search_that_finds_nothing_says_what_to_try(site: Site) -> None:
    await site.hire("ana@example.com")
    await site.ingest(mention("1", conversation="c1", text="my router blinks"))
    await site.sign_in("ana@example.com")
    page = words_of(await site.text("/search?q=voucher"))
    assert "No message holds “voucher”" in page
    assert "Try fewer words" in page


async def test_more_matches_than_the_page_holds_say_how_to_find_older_ones(site: Site) -> None:
    await site.hire("ana@example.com")
    await site.ingest(
        *(mention(str(n), author=f"c{n}", conversation=f"c{n}", minute=n, text="no signal")
          for n in range(51))
    )  # fmt: skip
    await site.sign_in("ana@example.com")
    page = await site.text("/search?q=signal")
    threads = found_threads(page)
    assert len(threads) == 50
    assert "@handle_c50" in threads[0]  # the newest match first
    assert "@handle_c0" not in page  # the oldest is past the page
    assert "Showing the 50 most recent: add a word to find older ones." in words_of(page)


@pytest.mark.parametrize("role", [Role.LEAD, Role.OPS, Role.ADMIN])
async def test_every_staff_role_searches(site: Site, role: Role) -> None:
    await site.hire("someone@example.com", role)
    await site.ingest(mention("1", conversation="c1", text="no signal in Lyon"))
    await site.sign_in("someone@example.com")
    assert "<mark>Lyon</mark>" in await site.text("/search?q=lyon")


async def test_an_at_handle_shows_the_customers_found_first(site: Site) -> None:
    await site.hire("ana@example.com")
    await site.ingest(mention("1", author="jane", conversation="c1", text="my router blinks"))
    await site.sign_in("ana@example.com")
    by_handle = await site.text("/search?q=@handle_jane")
    assert by_handle.index('id="found-customers"') < by_handle.index('id="found-threads"')
    by_words = await site.text("/search?q=router")
    assert by_words.index('id="found-threads"') < by_words.index('id="found-customers"')


async def test_an_at_handle_nobody_has_says_so_rather_than_pointing_above(site: Site) -> None:
    await site.hire("ana@example.com")
    await site.ingest(mention("1", author="jane", conversation="c1", text="my router blinks"))
    await site.sign_in("ana@example.com")
    page = await site.text("/search?q=@nobody_here")
    assert "Nobody with that handle has written in" in page
    assert "are above" not in page
    found = await site.text("/search?q=@handle_jane")
    assert "are above" in found
