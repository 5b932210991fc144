"""A customer's rights on PostgreSQL: the access export holds every kind of data kept about
the person and escapes their texts on its page; the erasure leaves their name, handle and
texts in no column of any table and in no later export, while the SLA report's figures stay
as they were; a later post of the same account starts a fresh customer."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta
from typing import Any

import pytest

from inbox.domain.audit import COMMAND_LINE
from inbox.domain.customer_rights import AlreadyErasedError, MergedCustomerError
from inbox.domain.errors import NotFoundError, PermissionDeniedError
from inbox.domain.ingestion import IngestBatch, RejectedPayload
from inbox.domain.mention import Author, Direction, Mention
from inbox.domain.network import Network
from inbox.domain.people import Role
from inbox.domain.web import WebSession
from inbox.store.database import Database
from inbox.store.thread_events import PgThreadEventOutbox
from inbox.store.workspaces import PgWorkspaceStore
from inbox.usecases.customer_rights import (
    RightsRequest,
    requested_in_session,
    requested_on_command_line,
)
from inbox.usecases.services import Services
from tests.factories import T0

pytestmark = pytest.mark.integration

NAME = "Zelda Quartermaine"
HANDLE = "zquartermaine77"
MASTODON_HANDLE = "zq_elsewhere@mastodon.example"
EMAIL = "zelda.q@example.org"
HOSTILE = "<script>alert('qwxz1')</script> my fibre box blinks amber"
TEXTS = (
    HOSTILE,
    f"write to me at {EMAIL} qwxz2",
    "still nothing on the other network qwxz3",
    f"Hello {NAME}, a technician comes tomorrow qwxz4",  # our reply
    f"{NAME} moved house last month qwxz5",  # a note about her
    f"Zelda again: {NAME} asked twice qwxz6",  # a note on her thread
    f"Sorry {NAME}, still on it qwxz7",  # a reply not sent yet
    f"{NAME} should restart the box qwxz8",  # a community member's answer
)
PERSONAL = (NAME, HANDLE, MASTODON_HANDLE.split("@")[0], EMAIL, "qwxz")
BYSTANDER_TEXT = "unrelated words that belong to bob-only"


def _mention(
    external_id: str,
    network: Network,
    author: Author,
    text: str,
    *,
    minute: int,
    conversation: str,
    direction: Direction = Direction.INBOUND,
    private: bool = False,
) -> Mention:
    return Mention(
        network=network,
        external_id=external_id,
        author=author,
        text=text,
        created_at=T0 + timedelta(minutes=minute),
        conversation_key=conversation,
        direction=direction,
        private=private,
        raw={"id": external_id, "text": text, "user": {"screen_name": author.handle}},
    )


ZELDA_X = Author(external_id="9911223344", handle=HANDLE, display_name=NAME)
ZELDA_MASTODON = Author(external_id="110220330", handle=MASTODON_HANDLE, display_name=NAME)
BRAND = Author(external_id="1000", handle="acme_support", display_name="Acme Support")
BOB = Author(external_id="5550001", handle="bystander_bob", display_name="Bob Bystander")


async def _customer_of(db: Database, workspace_id: int, network: Network, author: str) -> int:
    found: int = await db.fetchval(
        "SELECT customer_id FROM identity"
        " WHERE workspace_id = $1 AND network = $2 AND external_user_id = $3",
        workspace_id,
        network.value,
        author,
    )
    return found


async def _arrange(services: Services, db: Database, workspace_id: int) -> int:
    """Zelda on X (public and private messages, our reply, a quarantined payload naming her)
    and on Mastodon (merged into her X customer), notes about her, a reply not sent yet, a
    community answer, a correction, an assignment and webhook deliveries with texts; Bob
    beside her. Her customer's id."""
    x, mastodon = Network.X, Network.MASTODON
    quarantined = json.dumps({"user": {"screen_name": HANDLE}, "text": TEXTS[2]}).encode()
    await services.ingest(
        workspace_id,
        IngestBatch(
            [
                _mention("z1", x, ZELDA_X, TEXTS[0], minute=0, conversation="conv-z"),
                _mention("z2", x, ZELDA_X, TEXTS[1], minute=2, conversation="dm-z", private=True),
                _mention("m1", mastodon, ZELDA_MASTODON, TEXTS[2], minute=3, conversation="mz"),
                _mention(
                    "r1",
                    x,
                    BRAND,
                    TEXTS[3],
                    minute=20,
                    conversation="conv-z",
                    direction=Direction.OUTBOUND,
                ),
                _mention("b1", x, BOB, BYSTANDER_TEXT, minute=5, conversation="conv-b"),
            ],
            rejected=[RejectedPayload("x", quarantined, "no created_at")],
        ),
    )
    zelda = await _customer_of(db, workspace_id, x, ZELDA_X.external_id)
    elsewhere = await _customer_of(db, workspace_id, mastodon, ZELDA_MASTODON.external_id)
    await services.customers.merge(
        workspace_id, zelda, elsewhere, choices={}, by=COMMAND_LINE, reason="same person"
    )
    thread = await db.fetchval(
        "SELECT id FROM thread WHERE workspace_id = $1 AND thread_key = 'conv-z'", workspace_id
    )
    await db.execute(
        "INSERT INTO customer_note (workspace_id, customer_id, author_agent_id, body)"
        " VALUES ($1, $2, 1, $3)",
        workspace_id,
        zelda,
        TEXTS[4],
    )
    await db.execute(
        "INSERT INTO note (workspace_id, thread_id, author_agent_id, body) VALUES ($1, $2, 1, $3)",
        workspace_id,
        thread,
        TEXTS[5],
    )
    await db.execute(
        "INSERT INTO outbox_item (workspace_id, thread_id, network, kind, idempotency_key, body,"
        " recipient_id) VALUES ($1, $2, 'x', 'reply', 'k-1', $3, $4)",
        workspace_id,
        thread,
        TEXTS[6],
        ZELDA_X.external_id,
    )
    await db.execute(
        "INSERT INTO community_answer (workspace_id, thread_id, member_id, body)"
        " VALUES ($1, $2, 1, $3)",
        workspace_id,
        thread,
        TEXTS[7],
    )
    await db.execute(
        "INSERT INTO classification_correction (workspace_id, thread_id, field, new_value, text,"
        " corrected_by) VALUES ($1, $2, 'kind', '\"complaint\"', $3, 'agent:1')",
        workspace_id,
        thread,
        TEXTS[0],
    )
    await db.execute(
        "INSERT INTO assignment (workspace_id, thread_id, agent_id, source, at)"
        " VALUES ($1, $2, 1, 'claim', $3)",
        workspace_id,
        thread,
        T0 + timedelta(minutes=1),
    )
    # A webhook that takes messages' texts, with the events of her threads queued for it.
    await db.execute(
        "INSERT INTO webhook (workspace_id, url_sealed, url_shown, events, secret_sealed,"
        " include_text) VALUES ($1, 'sealed', 'https://crm.example/hook', '{*}', 's', true)",
        workspace_id,
    )
    await PgThreadEventOutbox(db).dispatch(100)
    return zelda


# Every column that can hold a text: read as text (bytes as \ooo escapes) and searched.
TEXT_COLUMNS = """
SELECT c.table_name, c.column_name, c.data_type
FROM information_schema.columns c
JOIN information_schema.tables t ON t.table_schema = c.table_schema
 AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
WHERE c.table_schema = 'public'
  AND c.data_type IN ('text', 'character varying', 'jsonb', 'json', 'ARRAY', 'bytea')
ORDER BY 1, 2
"""


async def _found_anywhere(db: Database, needles: tuple[str, ...]) -> list[str]:
    """Where any of the needles is still stored: table.column, for every table."""
    found = []
    for table, column, data_type in await db.fetch(TEXT_COLUMNS):
        value = f"encode(\"{column}\", 'escape')" if data_type == "bytea" else f'"{column}"::text'
        hits = await db.fetchval(
            f'SELECT count(*) FROM "{table}" WHERE {value} ILIKE ANY($1::text[])',  # noqa: S608
            [f"%{needle}%" for needle in needles],
        )
        if hits:
            found.append(f"{table}.{column}")
    return found


async def _exported(services: Services, request: RightsRequest, customer_id: int) -> Any:
    out = io.BytesIO()
    await services.customer_rights.export(request, customer_id, out)
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as archive:
        document = json.loads(archive.read(f"customer-{customer_id}.json"))
        page = archive.read(f"customer-{customer_id}.html").decode()
    return document, page


async def _sla_figures(services: Services, workspace_id: int) -> list[Any]:
    rows = []
    for by in ("total", "network", "day"):
        rows += await services.sla_report(
            workspace_id, by=by, since=T0 - timedelta(days=1), until=T0 + timedelta(days=2)
        )
    return rows


async def test_the_export_holds_every_kind_of_data_and_escapes_their_texts_on_its_page(
    services: Services, db: Database, workspace_id: int
) -> None:
    zelda = await _arrange(services, db, workspace_id)

    document, page = await _exported(services, requested_on_command_line(workspace_id), zelda)

    sections = document["sections"]
    for section in (
        "customer",
        "identities",
        "threads",
        "messages",
        "classifications",
        "classification_corrections",
        "customer_notes",
        "thread_notes",
        "assignments",
        "sla_clocks",
        "outbox",
        "community_answers",
        "thread_events",
        "quarantine",
        "merge_history",
    ):
        assert sections[section], f"nothing in {section}"
    assert {i["network"] for i in sections["identities"]} == {"x", "mastodon"}
    texts = {m["body"] for m in sections["messages"]}
    assert set(TEXTS[:4]) <= texts
    assert BYSTANDER_TEXT not in texts
    assert any(m["raw"].get("text") == HOSTILE for m in sections["messages"])
    assert HANDLE in sections["quarantine"][0]["raw"]
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#x27;qwxz1&#x27;)&lt;/script&gt;" in page
    assert NAME in page
    assert TEXTS[4] in page


async def test_an_erased_customer_is_in_no_table_and_no_export_and_the_sla_report_is_unchanged(
    services: Services, db: Database, workspace_id: int
) -> None:
    zelda = await _arrange(services, db, workspace_id)
    before = await _sla_figures(services, workspace_id)
    assert any(row.clocks for row in before)
    there = await _found_anywhere(db, PERSONAL)  # the scan sees them while they are there
    assert {"mention.body", "mention.raw", "identity.handle", "quarantine.raw"} <= set(there)
    assert {"webhook_delivery.payload", "note.body", "customer_note.body"} <= set(there)
    assert {"outbox_item.body", "community_answer.body", "customer.display_name"} <= set(there)

    erasure = await services.customer_rights.erase(
        requested_on_command_line(workspace_id), zelda, reason="request R-118"
    )

    assert await _found_anywhere(db, PERSONAL) == []
    unsent = await db.fetchrow("SELECT status, body FROM outbox_item WHERE idempotency_key = 'k-1'")
    assert unsent is not None
    assert (unsent["status"], unsent["body"]) == ("failed", "")  # never sent, now
    assert await _sla_figures(services, workspace_id) == before
    assert erasure.pseudonym.startswith("erased-")
    assert erasure.counts["messages"] == 4
    assert erasure.counts["quarantine_rows"] == 1
    # The merge's event told the CRM what the record held; it says nothing of it now.
    assert erasure.counts["customer_events"] >= 1
    assert not await db.fetchval(
        "SELECT count(*) FROM customer_event WHERE workspace_id = $1 AND data <> '{}'",
        workspace_id,
    )
    document, page = await _exported(services, requested_on_command_line(workspace_id), zelda)
    exported = json.dumps(document) + page
    assert not [needle for needle in PERSONAL if needle.lower() in exported.lower()]
    assert document["sections"]["customer"][0]["display_name"] == erasure.pseudonym
    assert len(document["sections"]["sla_clocks"]) > 0  # the timings stay
    assert await db.fetchval(
        "SELECT count(*) FROM mention WHERE workspace_id = $1 AND body = $2",
        workspace_id,
        BYSTANDER_TEXT,
    )
    recorded = await db.fetchval(
        "SELECT summary::text FROM audit_entry"
        " WHERE workspace_id = $1 AND action = 'customer.erased' AND object_id = $2",
        workspace_id,
        str(zelda),
    )
    assert erasure.pseudonym in recorded
    assert "R-118" in recorded


async def test_a_later_post_of_an_erased_account_starts_a_fresh_customer(
    services: Services, db: Database, workspace_id: int
) -> None:
    zelda = await _arrange(services, db, workspace_id)
    request = requested_on_command_line(workspace_id)
    erasure = await services.customer_rights.erase(request, zelda, reason="request R-119")

    back = _mention("z9", Network.X, ZELDA_X, "hello again", minute=90, conversation="conv-9")
    await services.ingest(workspace_id, IngestBatch([back]))

    fresh = await _customer_of(db, workspace_id, Network.X, ZELDA_X.external_id)
    assert fresh != zelda
    threads = await services.customers.threads(workspace_id, fresh)
    assert [t.excerpt for t in threads] == ["hello again"]
    found = await services.customer_rights.erased_before(request, "x", ZELDA_X.external_id)
    assert found is not None
    assert found.erasure_id == erasure.erasure_id
    assert await services.customer_rights.erased_before(request, "x", BOB.external_id) is None
    with pytest.raises(AlreadyErasedError):
        await services.customer_rights.erase(request, zelda, reason="again")

    # A reply inside an erased conversation joins it, as the fresh customer's message.
    inside = _mention("z10", Network.X, ZELDA_X, "any news?", minute=95, conversation="conv-z")
    await services.ingest(
        workspace_id, IngestBatch([inside.model_copy(update={"in_reply_to": "r1"})])
    )
    rows = await db.fetch(
        "SELECT m.external_id, m.body, m.customer_id FROM mention m"
        " JOIN thread t ON t.workspace_id = m.workspace_id AND t.id = m.thread_id"
        " WHERE m.workspace_id = $1 AND t.thread_key = 'conv-z' ORDER BY m.created_at",
        workspace_id,
    )
    assert [(r["external_id"], r["body"], r["customer_id"]) for r in rows] == [
        ("z1", "", zelda),
        ("r1", "", None),
        ("z10", "any news?", fresh),
    ]


async def test_a_customer_merged_into_another_is_exported_and_erased_through_that_one(
    services: Services, db: Database, workspace_id: int
) -> None:
    await _arrange(services, db, workspace_id)
    merged = await db.fetchval(
        "SELECT id FROM customer WHERE workspace_id = $1 AND merged_into_id IS NOT NULL",
        workspace_id,
    )
    request = requested_on_command_line(workspace_id)
    with pytest.raises(MergedCustomerError):
        await services.customer_rights.erase(request, merged, reason="request R-120")
    with pytest.raises(MergedCustomerError):
        await _exported(services, request, merged)


def _session(workspace_id: int, role: Role) -> WebSession:
    return WebSession(workspace_id, 1, "Someone", frozenset({role}), "csrf")


async def test_only_an_admin_of_the_customers_workspace_may_export_or_erase(
    services: Services, db: Database, workspace_id: int
) -> None:
    zelda = await _arrange(services, db, workspace_id)
    for role in (Role.AGENT, Role.LEAD, Role.OPS, Role.COMMUNITY):
        with pytest.raises(PermissionDeniedError):
            requested_in_session(_session(workspace_id, role))
    other = await PgWorkspaceStore(db).ensure_workspace("globex", "Globex")
    stranger = requested_in_session(_session(other, Role.ADMIN))

    with pytest.raises(NotFoundError):
        await _exported(services, stranger, zelda)
    with pytest.raises(NotFoundError):
        await services.customer_rights.erase(stranger, zelda, reason="request R-121")
    assert await _found_anywhere(db, (NAME,))
