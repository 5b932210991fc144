"""A customer's rights and the workspace's retention over the JSON API: an admin token of the
customer's workspace exports (the zip), erases (a reason required; the erasure's record
back), reads and changes the retention periods and runs a pass, dry or not; any other role
is refused, and another workspace's admin does not find the customer."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest

from inbox.domain.mention import Author, Mention
from inbox.domain.network import Network
from inbox.domain.people import Role
from inbox.store.workspaces import PgWorkspaceStore
from tests.e2e.browsing import person
from tests.e2e.site import Site
from tests.factories import T0

pytestmark = pytest.mark.integration

TEXT = "my line is down since monday, call 06 12 34 56 78"


async def _jane(site: Site) -> int:
    await site.ingest(
        Mention(
            network=Network.X,
            external_id="1",
            author=Author(external_id="u1", handle="jane_q", display_name="Jane Q"),
            text=TEXT,
            created_at=T0,
            conversation_key="c-1",
            raw={"id": "1"},
        )
    )
    found: int = await site.db.fetchval(
        "SELECT customer_id FROM identity WHERE workspace_id = $1 AND external_user_id = 'u1'",
        site.workspace_id,
    )
    return found


async def _token(site: Site, role: Role, workspace_id: int | None = None) -> dict[str, str]:
    workspace_id = workspace_id or site.workspace_id
    email = f"{role.value}-{workspace_id}@example.com"
    await person(site.services, site.db, workspace_id, email, role)
    token = await site.services.tokens.issue(workspace_id, role.value, role, email)
    return {"Authorization": f"Bearer {token}"}


async def _call(
    site: Site, method: str, path: str, headers: dict[str, str], body: Any = None
) -> tuple[int, Any]:
    url = f"{site.base}/api/v1{path}"
    async with site.session.request(method, url, headers=headers, json=body) as answer:
        if answer.content_type == "application/json":
            return answer.status, await answer.json()
        return answer.status, await answer.read()


async def test_an_admin_token_exports_a_customer_as_the_zip_of_everything_held(
    site: Site,
) -> None:
    jane = await _jane(site)
    admin = await _token(site, Role.ADMIN)

    status, body = await _call(site, "POST", f"/customers/{jane}/export", admin)

    assert status == 200
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        document = json.loads(archive.read(f"customer-{jane}.json"))
    assert [m["body"] for m in document["sections"]["messages"]] == [TEXT]
    recorded = await site.db.fetchval(
        "SELECT count(*) FROM audit_entry WHERE workspace_id = $1"
        " AND action = 'customer.exported' AND actor_kind = 'token'",
        site.workspace_id,
    )
    assert recorded == 1


async def test_an_admin_token_erases_a_customer_with_a_reason_and_gets_the_record_back(
    site: Site,
) -> None:
    jane = await _jane(site)
    admin = await _token(site, Role.ADMIN)
    path = f"/customers/{jane}/erasure"

    status, refused = await _call(site, "POST", path, admin, {})
    assert status == 400
    assert "reason" in refused["error"]["message"]
    status, erasure = await _call(site, "POST", path, admin, {"reason": "request R-9"})

    assert status == 201, erasure
    assert erasure["customer_id"] == jane
    assert erasure["pseudonym"].startswith("erased-")
    assert erasure["erased_by"].startswith("token:")
    assert erasure["counts"]["messages"] == 1
    assert not await site.db.fetchval(
        "SELECT count(*) FROM mention WHERE workspace_id = $1 AND body = $2",
        site.workspace_id,
        TEXT,
    )
    status, again = await _call(site, "POST", path, admin, {"reason": "request R-9"})
    assert (status, again["error"]["code"]) == (409, "conflict")


async def test_only_an_admin_of_the_customers_workspace_reaches_its_rights(site: Site) -> None:
    jane = await _jane(site)
    for role in (Role.AGENT, Role.LEAD, Role.OPS):
        token = await _token(site, role)
        for path, body in ((f"/customers/{jane}/export", None), ("/retention/run", {})):
            status, refused = await _call(site, "POST", path, token, body)
            assert (status, refused["error"]["code"]) == (403, "forbidden"), (role, path)
        status, _ = await _call(
            site, "POST", f"/customers/{jane}/erasure", token, {"reason": "request R-10"}
        )
        assert status == 403
        assert (await _call(site, "PUT", "/retention", token, {"quarantine_days": 1}))[0] == 403
    other = await PgWorkspaceStore(site.db).ensure_workspace("globex", "Globex")
    stranger = await _token(site, Role.ADMIN, other)
    assert (await _call(site, "POST", f"/customers/{jane}/export", stranger))[0] == 404
    erasure = {"reason": "request R-11"}
    assert (await _call(site, "POST", f"/customers/{jane}/erasure", stranger, erasure))[0] == 404
    assert await site.db.fetchval(
        "SELECT count(*) FROM mention WHERE workspace_id = $1 AND body = $2",
        site.workspace_id,
        TEXT,
    )
    status, theirs = await _call(site, "PUT", "/retention", stranger, {"quarantine_days": 5})
    assert (status, theirs["settings"]["quarantine_days"]) == (200, 5)
    _, ours = await _call(site, "GET", "/retention", await _token(site, Role.ADMIN))
    assert ours["settings"]["quarantine_days"] != 5


async def test_an_admin_token_reads_and_changes_the_retention_periods_naming_a_bad_field(
    site: Site,
) -> None:
    admin = await _token(site, Role.ADMIN)

    status, before = await _call(site, "GET", "/retention", admin)
    assert status == 200
    assert before["last_run"] is None
    change = {"raw_payload_days": 30, "closed_thread_text_months": None}
    status, after = await _call(site, "PUT", "/retention", admin, change)

    assert status == 200
    assert after["settings"] == {
        "raw_payload_days": 30,
        "closed_thread_text_months": None,
        "quarantine_days": before["settings"]["quarantine_days"],
    }
    for bad, field in (
        ({"raw_payload_days": 0}, "raw_payload_days"),
        ({"quarantine_days": "ten"}, "quarantine_days"),
        ({"raw_payload_day": 30}, "raw_payload_day"),
    ):
        status, refused = await _call(site, "PUT", "/retention", admin, bad)
        assert status == 400, bad
        assert field in refused["error"]["message"]
    _, unchanged = await _call(site, "GET", "/retention", admin)
    assert unchanged["settings"] == after["settings"]


async def test_a_retention_run_dry_counts_and_a_real_one_removes_and_is_recorded(
    site: Site,
) -> None:
    await _jane(site)
    admin = await _token(site, Role.ADMIN)
    # The message arrived long ago: its raw payload is due after a day.
    await site.db.execute(
        "UPDATE mention SET ingested_at = now() - interval '10 days' WHERE workspace_id = $1",
        site.workspace_id,
    )
    await _call(site, "PUT", "/retention", admin, {"raw_payload_days": 1})

    status, dry = await _call(site, "POST", "/retention/run", admin, {"dry_run": True})
    assert (status, dry["dry_run"], dry["removed"]["raw_payloads"]) == (200, True, 1)
    assert await site.db.fetchval("SELECT raw::text FROM mention") == '{"id": "1"}'
    status, done = await _call(site, "POST", "/retention/run", admin, {})

    assert (status, done["dry_run"], done["removed"]["raw_payloads"]) == (200, False, 1)
    assert await site.db.fetchval("SELECT raw::text FROM mention") == "{}"
    _, overview = await _call(site, "GET", "/retention", admin)
    assert overview["last_run"]["removed"] == done["removed"]
    assert overview["last_run"]["run_by"].startswith("API token ")
    assert await site.db.fetchval(
        "SELECT count(*) FROM audit_entry WHERE workspace_id = $1 AND action = 'retention_run'",
        site.workspace_id,
    )
