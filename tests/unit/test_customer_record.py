"""One person across networks, decided without I/O: how strong each piece of evidence is,
what a merge keeps, what merges by itself; and the use case on an in-memory store."""

from __future__ import annotations

import pytest

from inbox.domain.audit import COMMAND_LINE
from inbox.domain.customer_record import (
    Evidence,
    EvidenceKind,
    MergeConflictError,
    RecordFields,
    Strength,
    accepted_auto_merge,
    conflicts,
    merged_fields,
    suggestions,
)
from inbox.domain.errors import ConfigurationError
from inbox.domain.ingestion import IngestResult
from inbox.usecases.customer_import import ImportRejected, parse_import
from inbox.usecases.customers import Customers, RecordEdit
from tests.fakes.audit import FakeAuditTrail
from tests.fakes.customers import FakeCustomers


def test_a_pair_is_as_strong_as_its_strongest_evidence() -> None:
    found = suggestions(
        [
            Evidence(2, 1, EvidenceKind.SAME_HANDLE, "jane"),
            Evidence(1, 2, EvidenceKind.SAME_EMAIL, "jane@example.com"),
            Evidence(3, 4, EvidenceKind.SAME_HANDLE, "bob"),
        ]
    )
    assert [(s.first, s.second, s.strength) for s in found] == [
        (1, 2, Strength.STRONG),
        (3, 4, Strength.WEAK),
    ]
    assert found[0].evidence[0].kind is EvidenceKind.SAME_EMAIL


def test_the_same_crm_id_is_certain_and_a_handle_is_weak() -> None:
    assert EvidenceKind.SAME_CRM_ID.strength is Strength.CERTAIN
    assert EvidenceKind.PROFILE_LINK.strength is Strength.STRONG
    assert EvidenceKind.SAME_HANDLE.strength is Strength.WEAK


def test_a_workspace_may_not_accept_a_handle_as_enough_to_merge() -> None:
    with pytest.raises(ConfigurationError, match="too weak"):
        accepted_auto_merge(["same_handle"])
    with pytest.raises(ConfigurationError, match="not evidence"):
        accepted_auto_merge(["same_name"])
    assert accepted_auto_merge(["same_email"]) == {EvidenceKind.SAME_EMAIL}


def test_a_suggestion_merges_by_itself_only_on_accepted_evidence() -> None:
    (pair,) = suggestions(
        [
            Evidence(1, 2, EvidenceKind.SAME_HANDLE, "jane"),
            Evidence(1, 2, EvidenceKind.SAME_EMAIL, "j@example.com"),
        ]
    )
    assert not pair.mergeable_by_itself(frozenset({EvidenceKind.SAME_CRM_ID}))
    assert pair.mergeable_by_itself(frozenset({EvidenceKind.SAME_EMAIL}))
    # A handle never merges, even where a setting would name it.
    (weak,) = suggestions([Evidence(1, 2, EvidenceKind.SAME_HANDLE, "jane")])
    assert not weak.mergeable_by_itself(frozenset({EvidenceKind.SAME_HANDLE}))


def test_a_merge_keeps_what_only_one_side_has_and_joins_tags() -> None:
    kept = RecordFields(owner_agent_id=7, tags=("gold",))
    other = RecordFields(crm_id="C1", language="fr", tags=("fr", "gold"))
    assert conflicts(kept, other) == ()
    assert merged_fields(kept, other, {}) == RecordFields(
        owner_agent_id=7, crm_id="C1", language="fr", tags=("gold", "fr")
    )


def test_a_merge_refuses_to_guess_where_both_differ() -> None:
    kept = RecordFields(vip=True, crm_id="A", owner_agent_id=1)
    other = RecordFields(vip=False, crm_id="B", owner_agent_id=1)
    with pytest.raises(MergeConflictError) as refused:
        merged_fields(kept, other, {"crm_id": "other"})
    assert refused.value.fields == ("vip",)
    chosen = merged_fields(kept, other, {"vip": "other", "crm_id": "kept"})
    assert (chosen.vip, chosen.crm_id) == (False, "A")


def test_an_import_file_names_each_bad_line_and_why() -> None:
    rows, bad = parse_import(
        "network,handle,external_id,vip,owner,tags,language\n"
        "x,@jane,,yes,lea@example.com,gold;vip,FR\n"
        "fax,bob,,,,,\n"
        "x,,,,,,\n"
        "mastodon,kim,,perhaps,,,\n"
        "bluesky,ana,,,not-an-email,,\n"
        "bluesky,eve,,,,,french\n"
    )
    (row,) = rows
    assert (row.line, row.handle, row.vip, row.owner_email) == (2, "jane", True, "lea@example.com")
    assert (row.tags, row.language) == (("gold", "vip"), "fr")
    assert [(b.line, b.reason.split(":")[0]) for b in bad] == [
        (3, "network"), (4, "handle"), (5, "vip"), (6, "owner"), (7, "language"),
    ]  # fmt: skip


def test_an_import_file_needs_known_columns() -> None:
    with pytest.raises(ConfigurationError, match="unknown: email"):
        parse_import("network,handle,email\nx,jane,j@example.com\n")


async def test_certain_evidence_merges_the_newer_customer_into_the_older() -> None:
    store = FakeCustomers(
        fields={1: RecordFields(crm_id="C"), 2: RecordFields(crm_id="C"), 3: RecordFields()},
        planted=[
            Evidence(1, 2, EvidenceKind.SAME_CRM_ID, "C"),
            Evidence(1, 3, EvidenceKind.SAME_HANDLE, "jane"),
        ],
    )
    assert await Customers(store, FakeAuditTrail()).merge_certain(1) == 1
    assert store.merges == [(1, 2, "auto")]


def _batch_creating(*customer_ids: int) -> IngestResult:
    return IngestResult(
        1, 0, 0, 1, 0, len(customer_ids), created_customer_ids=frozenset(customer_ids)
    )


async def test_new_customers_of_a_batch_merge_into_those_their_certain_evidence_names() -> None:
    store = FakeCustomers(
        fields={i: RecordFields() for i in (1, 2, 3, 7, 8, 9)},
        planted=[
            Evidence(1, 7, EvidenceKind.SAME_EMAIL, "jane@shop.example"),
            Evidence(2, 8, EvidenceKind.SAME_HANDLE, "bob"),  # a name: never by itself
            Evidence(3, 9, EvidenceKind.PROFILE_LINK, "x.com/c"),  # not accepted here
        ],
        accepted=["same_email", "same_crm_id"],
    )

    await Customers(store, FakeAuditTrail()).after_ingest(1, _batch_creating(7, 8, 9))

    assert store.merges == [(1, 7, "auto")]
    # One read of the evidence for the whole batch, of the kinds a new customer can match.
    assert store.evidence_reads == [(7, 8, 9)]


async def test_with_only_crm_ids_accepted_a_batch_reads_no_evidence() -> None:
    store = FakeCustomers(
        fields={1: RecordFields(), 7: RecordFields()},
        planted=[Evidence(1, 7, EvidenceKind.SAME_EMAIL, "jane@shop.example")],
    )  # the default: the same CRM id, which a customer just created does not have

    await Customers(store, FakeAuditTrail()).after_ingest(1, _batch_creating(7))

    assert (store.merges, store.evidence_reads) == ([], [])


async def test_a_batch_that_created_no_customer_merges_nothing() -> None:
    store = FakeCustomers(accepted=["same_email"])
    await Customers(store, FakeAuditTrail()).after_ingest(1, _batch_creating())
    assert store.evidence_reads == []


async def test_certain_evidence_waits_for_a_person_when_the_records_conflict() -> None:
    store = FakeCustomers(
        fields={1: RecordFields(crm_id="C", vip=True), 2: RecordFields(crm_id="C")},
        planted=[Evidence(1, 2, EvidenceKind.SAME_CRM_ID, "C")],
    )
    assert await Customers(store, FakeAuditTrail()).merge_certain(1) == 0
    assert store.merges == []


async def test_an_import_with_an_unknown_identity_applies_nothing() -> None:
    store = FakeCustomers(fields={1: RecordFields()}, identities={("x", "jane"): 1})
    text = "network,handle,crm_id\nx,jane,C1\nx,nobody,C2\n"
    with pytest.raises(ImportRejected) as rejected:
        await Customers(store, FakeAuditTrail()).import_csv(1, text, dry_run=False, by=COMMAND_LINE)
    assert [b.line for b in rejected.value.bad] == [3]
    assert store.applied == []


async def test_an_applied_import_leaves_one_audit_row_naming_the_customers_not_the_values() -> None:
    store = FakeCustomers(
        fields={1: RecordFields(), 2: RecordFields()}, identities={("x", "jane"): 1}
    )
    trail = FakeAuditTrail()
    text = "network,handle,crm_id\nx,jane,C-SECRET-LOOKING\n"

    await Customers(store, trail).import_csv(1, text, dry_run=True, by=COMMAND_LINE)
    assert trail.entries == []  # a dry run changes nothing
    await Customers(store, trail).import_csv(1, text, dry_run=False, by=COMMAND_LINE)

    (entry,) = trail.entries
    assert (entry.action, entry.actor) == ("customers_imported", COMMAND_LINE)
    assert entry.summary == {"customer_ids": [1], "changed": 1, "merged": 0}


async def test_only_an_edit_that_changes_the_record_is_audited_naming_its_fields() -> None:
    store = FakeCustomers(fields={1: RecordFields(vip=True)})
    trail = FakeAuditTrail()
    customers = Customers(store, trail)

    await customers.edit(1, 1, RecordEdit(vip=True), COMMAND_LINE)
    await customers.edit(1, 1, RecordEdit(vip=False, language="de"), COMMAND_LINE)

    assert trail.actions() == [("customer_edited", "1")]
    assert trail.entries[0].summary == {"fields": ["vip", "language"]}


async def test_two_rows_for_one_customer_are_refused() -> None:
    store = FakeCustomers(fields={1: RecordFields()}, identities={("x", "jane"): 1, ("x", "u1"): 1})
    text = "network,handle,external_id,crm_id\nx,jane,,C1\nx,,u1,C2\n"
    with pytest.raises(ImportRejected, match="line 3: the same customer as line 2"):
        await Customers(store, FakeAuditTrail()).import_csv(1, text, dry_run=True, by=COMMAND_LINE)


async def test_an_owner_must_be_a_colleague_of_the_workspace() -> None:
    store = FakeCustomers(fields={1: RecordFields()}, agents={"lea@example.com": 4})
    customers = Customers(store, FakeAuditTrail())
    with pytest.raises(ConfigurationError, match="not an active colleague"):
        await customers.edit(1, 1, RecordEdit(owner_email="bob@example.com"), COMMAND_LINE)
    record = await customers.edit(1, 1, RecordEdit(owner_email="Lea@example.com"), COMMAND_LINE)
    assert record.fields.owner_agent_id == 4


async def test_a_pair_a_person_split_apart_is_neither_suggested_nor_merged_again() -> None:
    store = FakeCustomers(
        fields={1: RecordFields(crm_id="C"), 2: RecordFields(crm_id="C")},
        planted=[Evidence(1, 2, EvidenceKind.SAME_CRM_ID, "C")],
        judged_apart={(1, 2)},
    )
    customers = Customers(store, FakeAuditTrail())
    assert await customers.suggestions(1) == []
    assert await customers.merge_certain(1) == 0
