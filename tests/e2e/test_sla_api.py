"""The SLA report over HTTP: both clocks per day, roles enforced, bad parameters named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from inbox.domain.ingestion import IngestBatch
from inbox.domain.mention import Direction
from inbox.domain.network import Network
from inbox.domain.people import Role
from inbox.store.workspaces import PgWorkspaceStore
from inbox.usecases.services import Services
from tests.e2e.site import Site
from tests.factories import mention

pytestmark = pytest.mark.integration


async def test_a_lead_reads_the_report_and_an_agent_cannot(site: Site) -> None:
    session, base = site.session, site.base
    await PgWorkspaceStore(site.db).add_account(site.workspace_id, Network.X, "brand", "acme")
    day = datetime(2026, 3, 2, tzinfo=UTC)
    messages = [
        mention("1", conversation="1"),
        mention("2", author="brand", minute=30, conversation="1", direction=Direction.OUTBOUND),
        mention("3", author="u2", minute=10, conversation="3"),
        mention("4", author="brand", minute=100, conversation="3", direction=Direction.OUTBOUND),
    ]
    await site.services.ingest(site.workspace_id, IngestBatch(messages))
    lead = await site.services.tokens.issue(site.workspace_id, "lead", Role.LEAD)
    query = f"by=day&from={day.date()}&to={(day + timedelta(days=1)).date()}&tz=Europe/Paris"
    async with session.get(
        f"{base}/api/v1/reports/sla?{query}", headers={"Authorization": f"Bearer {lead}"}
    ) as response:
        assert response.status == 200
        (row,) = (await response.json())["items"]
    assert row["key"] == "2026-03-02"
    assert (row["clocks"], row["met"], row["breached"], row["within_hour"]) == (2, 1, 1, 1)
    assert row["wait_median_s"] == pytest.approx((30 + 90) * 60 / 2)

    agent = await site.services.tokens.issue(site.workspace_id, "agent", Role.AGENT)
    async with session.get(
        f"{base}/api/v1/reports/sla", headers={"Authorization": f"Bearer {agent}"}
    ) as response:
        assert response.status == 403
    for bad, parameter in (("by=week", "by"), ("tz=Mars/Base", "tz"), ("from=yesterday", "from")):
        async with session.get(
            f"{base}/api/v1/reports/sla?{bad}", headers={"Authorization": f"Bearer {lead}"}
        ) as response:
            assert response.status == 400
            assert (await response.json())["error"]["message"].startswith(parameter)


async def complaint_and_agent(services: Services, workspace_id: int) -> tuple[int, dict[str, str]]:
    """A thread with one customer message, and an agent's authorization header."""
    result = await services.ingest(workspace_id, IngestBatch([mention("1", conversation="1")]))
    (thread_id,) = result.changed_thread_ids
    agent = await services.tokens.issue(workspace_id, "agent", Role.AGENT)
    return thread_id, {"Authorization": f"Bearer {agent}"}


async def test_a_thread_explains_its_clocks(site: Site) -> None:
    session, base = site.session, site.base
    thread_id, headers = await complaint_and_agent(site.services, site.workspace_id)
    async with session.get(f"{base}/api/v1/threads/{thread_id}/sla", headers=headers) as response:
        assert response.status == 200
        (clock,) = (await response.json())["clocks"]
    assert clock["kind"] == "first_response"
    assert clock["policy"] == "one hour"
    assert clock["target_minutes"] == 60
    assert clock["summary"].startswith("Started Mon 02 Mar 09:00 (open)")
    async with session.get(f"{base}/api/v1/threads/999999/sla", headers=headers) as response:
        assert response.status == 404


async def test_closing_without_a_reply_excludes_the_clock_and_a_new_message_starts_another(
    site: Site,
) -> None:
    session, base = site.session, site.base
    thread_id, headers = await complaint_and_agent(site.services, site.workspace_id)
    url = f"{base}/api/v1/threads/{thread_id}/close"
    async with session.post(url, json={"reason": "praise"}, headers=headers) as response:
        assert response.status == 400
    async with session.post(url, json={"reason": "no_reply_needed"}, headers=headers) as response:
        assert response.status == 200
    later = datetime.now(UTC) + timedelta(minutes=1)  # after the closure
    follow_up = mention("2", conversation="1").model_copy(update={"created_at": later})
    await site.ingest(follow_up)
    async with site.db.connection() as conn:
        rows = await conn.fetch(
            "SELECT kind, outcome, stopped_at IS NULL AS running FROM sla_clock "
            "WHERE workspace_id = $1 ORDER BY started_at",
            site.workspace_id,
        )
        status = await conn.fetchval(
            "SELECT status FROM thread WHERE workspace_id = $1 AND id = $2",
            site.workspace_id,
            thread_id,
        )
    assert [tuple(r) for r in rows] == [
        ("first_response", "excluded", False),
        ("next_response", None, True),
    ]
    assert status == "open"
    async with session.post(
        f"{base}/api/v1/threads/999999/close", json={"reason": "deleted"}, headers=headers
    ) as response:
        assert response.status == 404
