"""Events of a customer record, as they leave the inbox for a CRM through webhooks.

An event is written in the transaction of the change it tells of (an edit, an import, a
merge, a split or an undone merge), numbered within its customer, and delivered to each
subscribed webhook in that order, beside the thread events (`inbox.domain.thread_events`).
A merge and a split are told in the sequence of the customer that stays: the one kept by a
merge, the one an identity leaves by a split. Events carry ids and the fields the team keeps
(VIP, owner, CRM id, tags, language), never a name, a handle or a text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from inbox.domain.customer_record import RecordFields


class CustomerEventKind(StrEnum):
    UPDATED = "customer.updated"
    MERGED = "customer.merged"
    SPLIT = "customer.split"


CUSTOMER_EVENT_KINDS = tuple(kind.value for kind in CustomerEventKind)
RECORD_FIELDS = ("vip", "owner_agent_id", "crm_id", "tags", "language")


def customer_sequence(customer_id: int) -> str:
    """The key under which a customer's deliveries are kept in order, webhook by webhook."""
    return f"customer:{customer_id}"


@dataclass(frozen=True, slots=True)
class NewCustomerEvent:
    """An event to write, numbered by the store in the order given, customer by customer."""

    customer_id: int
    kind: CustomerEventKind
    data: dict[str, Any] = field(default_factory=dict)


def record_data(fields: RecordFields) -> dict[str, Any]:
    """The record as an event carries it: what the team keeps, as a CRM would map it."""
    return {
        "vip": fields.vip,
        "owner_agent_id": fields.owner_agent_id,
        "crm_id": fields.crm_id,
        "tags": list(fields.tags),
        "language": fields.language,
    }


def changed_fields(before: RecordFields, after: RecordFields) -> list[str]:
    return [name for name in RECORD_FIELDS if getattr(before, name) != getattr(after, name)]


def updated(customer_id: int, before: RecordFields, after: RecordFields) -> list[NewCustomerEvent]:
    """`customer.updated` when the record changed (none for an edit that changed nothing)."""
    changed = changed_fields(before, after)
    if not changed:
        return []
    data = {"changed": changed, "record": record_data(after)}
    return [NewCustomerEvent(customer_id, CustomerEventKind.UPDATED, data)]


def merged(
    kept_id: int,
    other_id: int,
    after: RecordFields,
    *,
    change_id: int,
    identity_ids: Sequence[int],
    thread_ids: Sequence[int],
    by: str,
) -> NewCustomerEvent:
    """`other_id` folded into `kept_id`, whose record is now `after`."""
    return NewCustomerEvent(
        kept_id,
        CustomerEventKind.MERGED,
        {
            "merged_customer_id": other_id,
            "change_id": change_id,
            "identity_ids": list(identity_ids),
            "thread_ids": list(thread_ids),
            "record": record_data(after),
            "by": by,
        },
    )


def split(
    customer_id: int,
    new_customer_id: int,
    after: RecordFields,
    *,
    change_id: int,
    identity_ids: Sequence[int],
    thread_ids: Sequence[int],
    by: str,
    undone_merge: bool = False,
) -> NewCustomerEvent:
    """Identities and their threads moved out of `customer_id` to `new_customer_id`: a split,
    or a merge undone (`undone_merge`: the folded customer is back, `change_id` the merge)."""
    return NewCustomerEvent(
        customer_id,
        CustomerEventKind.SPLIT,
        {
            "new_customer_id": new_customer_id,
            "change_id": change_id,
            "undone_merge": undone_merge,
            "identity_ids": list(identity_ids),
            "thread_ids": list(thread_ids),
            "record": record_data(after),
            "by": by,
        },
    )
