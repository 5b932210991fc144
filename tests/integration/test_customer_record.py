"""The customer record on PostgreSQL: edits, the history of every identity, the evidence that
two customers are one person read from what the networks sent, merge and split round trips,
and the CSV import applied entirely or not at all."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from inbox.bootstrap import build_services
from inbox.domain.audit import COMMAND_LINE, Actor, ActorKind
from inbox.domain.customer_record import EvidenceKind, MergeConflictError, Strength
from inbox.domain.errors import ConflictError
from inbox.domain.ingestion import IngestBatch
from inbox.domain.mention import Author, Mention
from inbox.domain.network import Network
from inbox.domain.people import Role
from inbox.store.audit import PgAuditTrail
from inbox.store.customers import PgCustomers
from inbox.store.database import Database
from inbox.store.people import PgPeopleStore
from inbox.store.workspaces import PgWorkspaceStore
from inbox.usecases.customer_import import ImportRejected
from inbox.usecases.customers import Customers, RecordEdit
from inbox.usecases.services import Services
from tests.factories import T0

pytestmark = pytest.mark.integration

ANA = Actor(ActorKind.PERSON, 1, "Ana")


def said(
    external_id: str,
    network: Network,
    author: str,
    handle: str,
    *,
    minute: int = 0,
    text: str = "hello",
    private: bool = False,
    raw: dict[str, Any] | None = None,
) -> Mention:
    return Mention(
        network=network,
        external_id=external_id,
        author=Author(external_id=author, handle=handle, display_name=handle.title()),
        text=text,
        created_at=T0 + timedelta(minutes=minute),
        conversation_key=f"c-{external_id}",
        raw=raw or {"id": external_id},
        private=private,
    )


@pytest.fixture
def services(db: Database) -> Services:
    return build_services(db)


async def _customer_of(db: Database, workspace_id: int, network: Network, author: str) -> int:
    found: int = await db.fetchval(
        "SELECT customer_id FROM identity"
        " WHERE workspace_id = $1 AND network = $2 AND external_user_id = $3",
        workspace_id,
        network.value,
        author,
    )
    return found


async def audited(db: Database, workspace_id: int) -> list[tuple[str, int | None, str, object]]:
    """The audit trail's rows, oldest first: (action, actor id, object id, summary)."""
    rows = await db.fetch(
        "SELECT action, actor_id, object_id, summary FROM audit_entry"
        " WHERE workspace_id = $1 ORDER BY id",
        workspace_id,
    )
    return [(r["action"], r["actor_id"], r["object_id"], json.loads(r["summary"])) for r in rows]


async def _threads_by_customer(db: Database, workspace_id: int) -> dict[int, int | None]:
    async with db.connection() as conn:
        rows = await conn.fetch(
            "SELECT id, customer_id FROM thread WHERE workspace_id = $1", workspace_id
        )
    return {row["id"]: row["customer_id"] for row in rows}


async def test_an_edit_sets_vip_owner_crm_id_tags_and_language(
    services: Services, db: Database, workspace_id: int
) -> None:
    await PgPeopleStore(db).save_agent(workspace_id, "lea@example.com", "Léa", [Role.AGENT], [])
    await services.ingest(workspace_id, IngestBatch([said("1", Network.X, "u1", "jane")]))
    customer_id = await _customer_of(db, workspace_id, Network.X, "u1")
    record = await services.customers.edit(
        workspace_id,
        customer_id,
        RecordEdit(
            vip=True, owner_email="LEA@example.com", crm_id=" CRM-1 ", tags=("Gold", "gold"),
            language="FR",
        ),
        COMMAND_LINE,
    )  # fmt: skip
    assert record.fields.vip
    assert record.fields.crm_id == "CRM-1"
    assert record.owner_email == "lea@example.com"
    assert record.fields.tags == ("gold",)
    assert record.fields.language == "fr"


async def test_same_crm_id_is_certain_and_same_handle_weak(
    services: Services, db: Database, workspace_id: int
) -> None:
    await services.ingest(
        workspace_id,
        IngestBatch(
            [
                said("1", Network.X, "u1", "jane_doe"),
                said("2", Network.MASTODON, "m1", "jane_doe@example.social"),
                said("3", Network.BLUESKY, "b1", "robert.bsky.social"),
            ]
        ),
    )
    x = await _customer_of(db, workspace_id, Network.X, "u1")
    bluesky = await _customer_of(db, workspace_id, Network.BLUESKY, "b1")
    (handle,) = await services.customers.suggestions(workspace_id)
    assert handle.strength is Strength.WEAK
    await services.customers.set_auto_merge(workspace_id, ["same_email"], COMMAND_LINE)  # no CRM id
    for customer_id in (x, bluesky):
        await services.customers.edit(
            workspace_id, customer_id, RecordEdit(crm_id="C9"), COMMAND_LINE
        )
    found = {(s.first, s.second): s for s in await services.customers.suggestions(workspace_id)}
    assert found[(min(x, bluesky), max(x, bluesky))].strength is Strength.CERTAIN


async def test_a_new_customer_certainly_someone_known_is_merged_into_them_as_the_batch_is_stored(
    services: Services, db: Database, workspace_id: int
) -> None:
    await services.customers.set_auto_merge(
        workspace_id, ["same_email", "same_phone"], COMMAND_LINE
    )
    await services.ingest(
        workspace_id,
        IngestBatch(
            [
                said("1", Network.X, "u1", "jane", private=True, text="I am jane@shop.example"),
                said("2", Network.X, "u2", "bob", private=True, text="call +33 6 12 34 56 78"),
            ]
        ),
    )
    jane = await _customer_of(db, workspace_id, Network.X, "u1")
    bob = await _customer_of(db, workspace_id, Network.X, "u2")

    await services.ingest(
        workspace_id,
        IngestBatch(
            [
                said("3", Network.MASTODON, "m1", "jj@example.social", private=True,
                     text="it's me, JANE@shop.example", minute=5),
                said("4", Network.BLUESKY, "b1", "bobby.bsky.social", private=True,
                     text="+33 6.12.34.56.78", minute=6),
                # The same handle as Jane's: never enough, whatever the workspace accepts.
                said("5", Network.MASTODON, "m2", "jane@other.social", minute=7),
            ]
        ),
    )  # fmt: skip

    assert await _customer_of(db, workspace_id, Network.MASTODON, "m1") == jane
    assert await _customer_of(db, workspace_id, Network.BLUESKY, "b1") == bob
    stranger = await _customer_of(db, workspace_id, Network.MASTODON, "m2")
    assert stranger not in (jane, bob)
    (merge,) = await services.customers.changes(workspace_id, jane)
    assert (merge.kind, merge.done_by) == ("merge", "auto")
    assert "same_email jane@shop.example" in merge.evidence
    assert [t.network for t in await services.customers.threads(workspace_id, jane)] == [
        "mastodon", "x",
    ]  # fmt: skip
    # Reversible like any merge, and then not merged again by itself.
    await services.customers.undo_merge(workspace_id, merge.id, ANA)
    assert await _customer_of(db, workspace_id, Network.MASTODON, "m1") == merge.other_customer_id
    assert await services.customers.merge_certain(workspace_id) == 0


async def test_with_the_default_setting_ingestion_merges_no_one(
    services: Services, db: Database, workspace_id: int
) -> None:
    await services.ingest(
        workspace_id,
        IngestBatch([said("1", Network.X, "u1", "jane", private=True, text="jane@shop.example")]),
    )
    await services.ingest(
        workspace_id,
        IngestBatch(
            [said("2", Network.MASTODON, "m1", "jj", private=True, text="jane@shop.example")]
        ),
    )
    x = await _customer_of(db, workspace_id, Network.X, "u1")
    assert await _customer_of(db, workspace_id, Network.MASTODON, "m1") != x
    assert await services.customers.changes(workspace_id, x) == []


async def test_a_profile_link_and_an_email_in_private_messages_are_strong(
    services: Services, db: Database, workspace_id: int
) -> None:
    link = '<a href="https://x.com/JaneOnX" rel="me">x.com/JaneOnX</a>'
    account = {"id": "m1", "acct": "jane@example.social", "fields": [{"name": "X", "value": link}]}
    x_user = {"id": "u1", "username": "JaneOnX", "entities": {"url": {"urls": [
        {"expanded_url": "https://shop.example.com/"}]}}}  # fmt: skip
    await services.ingest(
        workspace_id,
        IngestBatch(
            [
                said("1", Network.MASTODON, "m1", "jane@example.social", raw={"account": account}),
                said("2", Network.X, "u1", "JaneOnX", raw={"includes": {"users": [x_user]}}),
                said("3", Network.BLUESKY, "b1", "shop.example.com"),
                said("4", Network.X, "u2", "bob", private=True, text="write to Bob@Mail.example"),
                said("5", Network.MASTODON, "m2", "bobby@x.social", private=True,
                     text="my address: bob@mail.example thanks"),
            ]
        ),
    )  # fmt: skip
    kinds = {
        (e.kind, e.detail)
        for s in await services.customers.suggestions(workspace_id)
        for e in s.evidence
    }
    assert (EvidenceKind.PROFILE_LINK, "x.com/janeonx") in kinds
    assert (EvidenceKind.PROFILE_LINK, "shop.example.com") in kinds
    assert (EvidenceKind.SAME_EMAIL, "bob@mail.example") in kinds
    # One customer's own pass (the sidebar's) finds the same, from their side.
    for network, author in ((Network.X, "u2"), (Network.MASTODON, "m1")):
        mine = await _customer_of(db, workspace_id, network, author)
        found = {
            e.kind
            for s in await services.customers.suggestions(workspace_id, mine)
            for e in s.evidence
        }
        wanted = EvidenceKind.SAME_EMAIL if author == "u2" else EvidenceKind.PROFILE_LINK
        assert wanted in found, (network, found)


async def test_merge_then_split_gives_every_thread_back_to_its_identity(
    services: Services, db: Database, workspace_id: int
) -> None:
    await services.ingest(
        workspace_id,
        IngestBatch(
            [
                said("1", Network.X, "u1", "jane"),
                said("2", Network.X, "u1", "jane", minute=5),
                said("3", Network.MASTODON, "m1", "jane@example.social", minute=9),
            ]
        ),
    )
    x = await _customer_of(db, workspace_id, Network.X, "u1")
    mastodon = await _customer_of(db, workspace_id, Network.MASTODON, "m1")
    before = await _threads_by_customer(db, workspace_id)
    await services.customers.merge(
        workspace_id, x, mastodon, choices={}, by=ANA, reason="same person"
    )
    assert set((await _threads_by_customer(db, workspace_id)).values()) == {x}
    assert [t.network for t in await services.customers.threads(workspace_id, x)] == [
        "mastodon", "x", "x",
    ]  # fmt: skip
    record = await services.customers.show(workspace_id, x)
    (identity,) = [i for i in record.identities if i.network == "mastodon"]
    new_id = await services.customers.split(
        workspace_id, x, identity.id, by=ANA, reason="not the same after all"
    )
    after = await _threads_by_customer(db, workspace_id)
    assert {t: (x if c == x else mastodon) for t, c in after.items()} == before
    assert {c for t, c in after.items() if before[t] == mastodon} == {new_id}
    changes = await services.customers.changes(workspace_id, x)
    assert [c.kind for c in changes] == ["split", "merge"]
    assert {c.done_by for c in changes} == {"agent:1"}
    split_id, merge_id = (c.id for c in changes)
    assert await audited(db, workspace_id) == [
        ("customers_merged", 1, str(x), {"merged_customer_id": mastodon, "change_id": merge_id}),
        (
            "customer_split", 1, str(x),
            {"identity_id": identity.id, "new_customer_id": new_id, "change_id": split_id},
        ),
    ]  # fmt: skip


async def test_undoing_a_merge_restores_the_record_threads_and_notes(
    services: Services, db: Database, workspace_id: int
) -> None:
    await services.ingest(
        workspace_id,
        IngestBatch([said("1", Network.X, "u1", "jane"), said("2", Network.BLUESKY, "b1", "j")]),
    )
    x = await _customer_of(db, workspace_id, Network.X, "u1")
    bluesky = await _customer_of(db, workspace_id, Network.BLUESKY, "b1")
    await services.customers.edit(workspace_id, x, RecordEdit(vip=True, crm_id="A"), COMMAND_LINE)
    await services.customers.edit(workspace_id, bluesky, RecordEdit(crm_id="B"), COMMAND_LINE)
    threads = await _threads_by_customer(db, workspace_id)
    with pytest.raises(MergeConflictError) as refused:
        await services.customers.merge(
            workspace_id, x, bluesky, choices={}, by=COMMAND_LINE, reason="r"
        )
    assert refused.value.fields == ("vip", "crm_id")
    change = await services.customers.merge(
        workspace_id,
        x,
        bluesky,
        choices={"vip": "other", "crm_id": "other"},
        by=COMMAND_LINE,
        reason="r",
    )
    merged = await services.customers.show(workspace_id, x)
    assert (merged.fields.vip, merged.fields.crm_id) == (False, "B")
    await services.customers.undo_merge(workspace_id, change, COMMAND_LINE)
    assert await _threads_by_customer(db, workspace_id) == threads
    restored = await services.customers.show(workspace_id, x)
    assert (restored.fields.vip, restored.fields.crm_id) == (True, "A")
    assert (await services.customers.show(workspace_id, bluesky)).merged_into_id is None
    with pytest.raises(ConflictError):
        await services.customers.undo_merge(workspace_id, change, COMMAND_LINE)
    assert [(action, object_id) for action, _, object_id, _ in await audited(db, workspace_id)] == [
        ("customer_edited", str(x)),
        ("customer_edited", str(bluesky)),
        ("customers_merged", str(x)),  # the refused merge left no row
        ("customer_merge_undone", str(change)),
    ]
    # Undone: a person said they are two people; the same CRM id no longer merges them.
    await services.customers.edit(workspace_id, bluesky, RecordEdit(crm_id="A"), COMMAND_LINE)
    assert await services.customers.suggestions(workspace_id, x) == []
    assert (await services.customers.show(workspace_id, bluesky)).merged_into_id is None


async def test_the_same_crm_id_merges_by_itself_and_a_handle_never_does(
    services: Services, db: Database, workspace_id: int
) -> None:
    await services.ingest(
        workspace_id,
        IngestBatch(
            [said("1", Network.X, "u1", "jane"), said("2", Network.MASTODON, "m1", "jane@a.b")]
        ),
    )
    assert await services.customers.merge_certain(workspace_id) == 0
    text = "network,handle,crm_id\nx,@jane,CRM-7\nmastodon,jane@a.b,CRM-7\n"
    report = await services.customers.import_csv(workspace_id, text, dry_run=False, by=COMMAND_LINE)
    assert report.applied
    assert report.merged == 1
    assert len(set((await _threads_by_customer(db, workspace_id)).values())) == 1


async def test_an_import_with_one_bad_row_applies_nothing_and_names_every_bad_line(
    services: Services, db: Database, workspace_id: int
) -> None:
    await services.ingest(workspace_id, IngestBatch([said("1", Network.X, "u1", "jane")]))
    text = (
        "network,handle,external_id,crm_id,vip,owner,tags,language\n"
        "x,jane,,CRM-1,yes,,gold;fr-speaker,fr\n"
        "x,nobody,,CRM-2,,,,\n"
        "myspace,tom,,,,,,\n"
        "x,,u1,,maybe,,,\n"
    )
    with pytest.raises(ImportRejected) as rejected:
        await services.customers.import_csv(workspace_id, text, dry_run=False, by=COMMAND_LINE)
    assert [b.line for b in rejected.value.bad] == [3, 4, 5]
    assert "no x identity 'nobody'" in str(rejected.value)
    customer = await _customer_of(db, workspace_id, Network.X, "u1")
    record = await services.customers.show(workspace_id, customer)
    assert (record.fields.crm_id, record.fields.vip, record.fields.tags) == (None, False, ())


async def test_a_dry_run_says_what_would_change_and_changes_nothing(
    services: Services, db: Database, workspace_id: int
) -> None:
    await services.ingest(workspace_id, IngestBatch([said("1", Network.X, "u1", "jane")]))
    customers = Customers(PgCustomers(db), PgAuditTrail(db))
    report = await customers.import_csv(
        workspace_id, "network,external_id,crm_id,vip\nx,u1,CRM-1,yes\n", dry_run=True,
        by=COMMAND_LINE,
    )  # fmt: skip
    (change,) = report.changes
    assert change.changes == {"vip": (False, True), "crm_id": (None, "CRM-1")}
    assert not report.applied
    customer = await _customer_of(db, workspace_id, Network.X, "u1")
    assert (await customers.show(workspace_id, customer)).fields.crm_id is None
    assert await audited(db, workspace_id) == []


async def test_another_workspace_finds_nothing(
    services: Services, db: Database, workspace_id: int
) -> None:
    await services.ingest(workspace_id, IngestBatch([said("1", Network.X, "u1", "jane")]))
    other = await PgWorkspaceStore(db).ensure_workspace("other", "Other")
    assert await services.customers.search(other, "jane") == []
    assert [r.display_name for r in await services.customers.search(workspace_id, "jan")] == [
        "Jane"
    ]
