"""Each person lands where their day starts: an agent on their queue, a lead on the
dashboard, network operations on the incidents, an admin on the settings, a community
member on their own page; and the rail offers each only the views that can hold anything
for them."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from inbox.domain.people import Role
from inbox.store.people import PgPeopleStore
from tests.e2e.browsing import PASSWORD
from tests.e2e.site import Site, log_in

pytestmark = pytest.mark.integration


async def hired(site: Site, email: str, *roles: Role) -> None:
    await PgPeopleStore(site.db).save_agent(
        site.workspace_id, email, email.split("@")[0], list(roles), ["care"]
    )
    await site.services.web_logins.set_password(site.workspace_id, email, SecretStr(PASSWORD))


async def landing(site: Site, email: str) -> tuple[str, str]:
    """Where logging in sends the person, and where `/` sends them then."""
    async with await log_in(site.session, site.base, email) as answer:
        assert answer.status == 303, await answer.text()
        signed_in = answer.headers["Location"]
    async with site.session.get(f"{site.base}/", allow_redirects=False) as answer:
        assert answer.status == 303
        return signed_in, answer.headers["Location"]


@pytest.mark.parametrize(
    ("roles", "page"),
    [
        ((Role.AGENT,), "/inbox"),
        ((Role.LEAD,), "/dashboard"),
        ((Role.OPS,), "/incidents"),
        ((Role.ADMIN,), "/admin"),
        ((Role.COMMUNITY,), "/community"),
        # A lead who also answers starts on their queue; ops who lead, on the dashboard.
        ((Role.LEAD, Role.AGENT), "/inbox"),
        ((Role.OPS, Role.LEAD), "/dashboard"),
        ((Role.ADMIN, Role.OPS), "/incidents"),
    ],
    ids=lambda value: "+".join(value) if isinstance(value, tuple) else value,
)
async def test_each_role_lands_where_its_day_starts(
    site: Site, roles: tuple[Role, ...], page: str
) -> None:
    await hired(site, "someone@example.com", *roles)
    assert await landing(site, "someone@example.com") == (page, page)
    await site.text(page)  # and may open it


async def test_the_rail_offers_network_operations_no_view_that_only_routing_fills(
    site: Site,
) -> None:
    await hired(site, "omar@example.com", Role.OPS)
    await site.sign_in("omar@example.com")
    rail = await site.text("/incidents")
    assert 'href="/inbox?view=mine"' not in rail
    assert 'href="/inbox?view=team"' not in rail
    assert 'href="/inbox?view=unassigned"' in rail
    assert 'href="/incidents" aria-current="page"' in rail


async def test_an_agents_rail_keeps_their_own_views(site: Site) -> None:
    await hired(site, "ana@example.com", Role.AGENT)
    await site.sign_in("ana@example.com")
    rail = await site.text("/inbox")
    assert 'href="/inbox?view=mine"' in rail
    assert 'href="/inbox?view=team"' in rail
