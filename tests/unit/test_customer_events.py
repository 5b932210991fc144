"""What a customer event says: the fields that changed and the record, never a name."""

from __future__ import annotations

from inbox.domain.customer_events import CustomerEventKind, merged, updated
from inbox.domain.customer_record import RecordFields
from inbox.domain.webhooks import event_filters


def test_an_edit_that_changes_nothing_is_no_event() -> None:
    assert updated(7, RecordFields(vip=True), RecordFields(vip=True)) == []


def test_an_update_names_the_changed_fields_in_the_records_order_and_carries_the_record() -> None:
    (event,) = updated(7, RecordFields(), RecordFields(language="de", vip=True, tags=("gold",)))

    assert event.kind is CustomerEventKind.UPDATED
    assert event.data == {
        "changed": ["vip", "tags", "language"],
        "record": {
            "vip": True,
            "owner_agent_id": None,
            "crm_id": None,
            "tags": ["gold"],
            "language": "de",
        },
    }


def test_a_merge_is_told_in_the_kept_customers_sequence() -> None:
    event = merged(3, 9, RecordFields(), change_id=1, identity_ids=[4], thread_ids=[], by="auto")

    assert event.customer_id == 3
    assert event.data["merged_customer_id"] == 9


def test_webhooks_may_subscribe_to_customer_events_by_kind_or_family() -> None:
    assert event_filters(["customer.*", "customer.split"]) == ("customer.*", "customer.split")
