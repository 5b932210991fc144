"""Who a thread's customer may be, worked out from what was read with the thread."""

from __future__ import annotations

from datetime import UTC, datetime

from inbox.domain.customer_record import CustomerRecord, Evidence, EvidenceKind, RecordFields
from inbox.domain.desk import CustomerFacts
from inbox.usecases.customers import suggested_among


def _record(customer_id: int) -> CustomerRecord:
    return CustomerRecord(
        customer_id, f"c{customer_id}", RecordFields(), None, None, (), None,
        datetime(2026, 1, 1, tzinfo=UTC),
    )  # fmt: skip


def test_a_customer_is_offered_the_others_their_evidence_names_but_not_those_said_apart() -> None:
    facts = CustomerFacts(
        record=_record(2),
        evidence=(
            Evidence(1, 2, EvidenceKind.SAME_HANDLE, "ana"),
            Evidence(2, 3, EvidenceKind.SAME_EMAIL, "ana@example.com"),
        ),
        apart=frozenset({(1, 2)}),
        others=(_record(1), _record(3)),
    )

    suggested = suggested_among(facts)

    assert [(s.first, s.second, record.id) for s, record in suggested] == [(2, 3, 3)]


def test_a_thread_without_a_customer_suggests_nobody() -> None:
    evidence = (Evidence(1, 2, EvidenceKind.SAME_HANDLE, "ana"),)
    assert suggested_among(CustomerFacts(evidence=evidence, others=(_record(1),))) == []


def test_another_customer_whose_record_is_gone_is_not_offered() -> None:
    facts = CustomerFacts(
        record=_record(2), evidence=(Evidence(2, 3, EvidenceKind.SAME_CRM_ID, "crm-1"),)
    )
    assert suggested_among(facts) == []
