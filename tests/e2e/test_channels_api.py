"""Channel health and read budgets in the JSON API and the Prometheus metrics."""

from __future__ import annotations

import json

import pytest
from pydantic import SecretStr

from connectors.x.budget import ReadBudget, Stream
from inbox.domain.people import Role
from inbox.store.credentials import PgCredentialStore
from inbox.store.secret_box import SecretBox
from tests.e2e.site import Site
from tests.x_world import BRAND, BRAND_ID, CREDENTIALS, CUSTOMERS, connected, runner_for

pytestmark = pytest.mark.integration


async def test_leads_see_channel_health_and_budget_and_ops_scrape_metrics(site: Site) -> None:
    session, base = site.session, site.base
    async with connected(site.db, site.workspace_id) as x:
        await PgCredentialStore(site.db, SecretBox(SecretStr(SecretBox.new_key()))).replace(
            site.workspace_id, x.account.account_id, CREDENTIALS.as_mapping()
        )
        x.fake.steady(list(CUSTOMERS), BRAND_ID, 25)
        runner = runner_for(x, site.db, ReadBudget(reads_per_month=10_000))
        await runner.tick(Stream.MENTIONS)

    lead = await site.bearer("lead", Role.LEAD)
    async with session.get(f"{base}/api/v1/channels", headers=lead) as response:
        assert response.status == 200
        body = await response.text()
    assert "test-bearer" not in body
    assert "test-access" not in body
    (channel,) = json.loads(body)["items"]
    assert channel["handle"] == BRAND
    assert channel["status"]["reads_this_month"] == 25
    assert channel["status"]["reads_left_this_month"] == 9_975
    assert channel["status"]["health"]["degraded"] is False
    assert channel["status"]["projected_month_end_reads"] >= 25

    agent = await site.bearer("agent", Role.AGENT)
    async with session.get(f"{base}/api/v1/channels", headers=agent) as response:
        assert response.status == 403

    ops = await site.bearer("ops", Role.OPS)
    async with session.get(f"{base}/metrics", headers=ops) as response:
        assert response.status == 200
        text = await response.text()
    assert f'inbox_channel_reads_this_month{{network="x",account="{BRAND}"}} 25' in text
    assert f'inbox_channel_degraded{{network="x",account="{BRAND}"}} 0' in text
    assert "inbox_sla_running_clocks 25" in text
    assert "# TYPE inbox_sla_breaches_total counter" in text
    async with session.get(f"{base}/metrics") as response:
        assert response.status == 401
