"""The customer record: reading, editing and searching it; the threads of every identity of
a customer; suggestions that two customers are one person; merges and splits, recorded and
reversible; and the CSV import that links CRM ids and attributes to identities.

Entry points check the caller's role; every call names the workspace, and nothing of
another workspace is ever found. `by` says who acts: a person's, a token's or the command
line's change is kept in the audit trail (ids and field names, never a value a customer
wrote), and the customer's history names them as "agent:ID", "token:ID", "cli" (or "auto",
a merge made on evidence the workspace accepts as certain)."""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from inbox.domain.audit import Actor
from inbox.domain.customer_events import changed_fields
from inbox.domain.customer_record import (
    DEFAULT_AUTO_MERGE,
    MERGE_FIELDS,
    BadRow,
    CustomerChange,
    CustomerRecord,
    CustomerThread,
    Evidence,
    EvidenceKind,
    ImportChange,
    RecordFields,
    Suggestion,
    accepted_auto_merge,
    checked_crm_id,
    checked_language,
    checked_reason,
    checked_tags,
    conflicts,
    merged_fields,
    suggestions,
)
from inbox.domain.desk import CustomerFacts
from inbox.domain.errors import ConfigurationError, NotFoundError
from inbox.domain.ingestion import IngestResult
from inbox.domain.text import is_storable
from inbox.ports.audit import AuditTrail
from inbox.ports.customers import CustomerStore
from inbox.usecases.audit import entry_as, history_name
from inbox.usecases.customer_import import (
    ImportRejected,
    ImportReport,
    applied_row,
    differences,
    parse_import,
)

log = logging.getLogger(__name__)

HISTORY_LIMIT = 500
MAX_PAGE = 100
MAX_SEARCH = 200
# Evidence rows read for one pass; a workspace with more pairs than this sees the first.
EVIDENCE_LIMIT = 2_000
AUTO = "auto"


@dataclass(frozen=True, slots=True)
class RecordEdit:
    """What an edit changes; None leaves a field as it is. `owner_email` "" and
    `owner_agent_id` 0 both mean nobody follows the customer any more; `crm_id` and
    `language` "" clear them."""

    vip: bool | None = None
    owner_email: str | None = None
    owner_agent_id: int | None = None
    crm_id: str | None = None
    tags: tuple[str, ...] | None = None
    language: str | None = None


class Customers:
    def __init__(self, store: CustomerStore, audit: AuditTrail) -> None:
        self._store = store
        self._audit = audit

    async def _audited(
        self, workspace_id: int, by: Actor, action: str, kind: str, object_id: object,
        **summary: object,
    ) -> None:  # fmt: skip
        """The change `by` made, in the audit trail once it is done: ids and kinds only."""
        await self._audit.record(entry_as(workspace_id, by, action, kind, object_id, **summary))

    # --- the record --------------------------------------------------------------------

    async def show(self, workspace_id: int, customer_id: int) -> CustomerRecord:
        found = await self._store.records(workspace_id, [customer_id])
        if not found:
            raise NotFoundError("customer", customer_id)
        return found[0]

    async def record(self, workspace_id: int, customer_id: int | None) -> CustomerRecord | None:
        """The customer's record; None for none (a thread without a customer, or one erased
        since its id was read)."""
        if customer_id is None:
            return None
        found = await self._store.records(workspace_id, [customer_id])
        return found[0] if found else None

    async def of_thread(self, workspace_id: int, thread_id: int) -> CustomerRecord | None:
        return await self.record(
            workspace_id, await self._store.customer_of_thread(workspace_id, thread_id)
        )

    async def search(
        self, workspace_id: int, words: str, *, after_id: int = 0, limit: int = 50
    ) -> list[CustomerRecord]:
        """Live customers whose handle, name or CRM id holds the words, by id after
        `after_id` (the previous page's last)."""
        words = " ".join(words.split())[:MAX_SEARCH]
        if not is_storable(words):
            raise ConfigurationError("q", "plain text")
        if not 1 <= limit <= MAX_PAGE:
            raise ConfigurationError("limit", f"between 1 and {MAX_PAGE}")
        return await self._store.search(workspace_id, words, max(after_id, 0), limit)

    async def edit(
        self, workspace_id: int, customer_id: int, edit: RecordEdit, by: Actor
    ) -> CustomerRecord:
        """The edit checked first, then applied to the record as it is when locked (two
        people editing different fields both keep theirs)."""
        owner_given = edit.owner_email is not None or edit.owner_agent_id is not None
        owner = await self._owner(workspace_id, edit) if owner_given else None
        crm_id = None if edit.crm_id is None else checked_crm_id(edit.crm_id)
        tags = None if edit.tags is None else checked_tags(edit.tags)
        language = None if edit.language is None else checked_language(edit.language)

        def patched(fields: RecordFields) -> RecordFields:
            return RecordFields(
                vip=fields.vip if edit.vip is None else edit.vip,
                owner_agent_id=owner if owner_given else fields.owner_agent_id,
                crm_id=fields.crm_id if edit.crm_id is None else crm_id,
                tags=fields.tags if tags is None else tags,
                language=fields.language if edit.language is None else language,
            )

        before, after = await self._store.change(workspace_id, customer_id, patched)
        if after != before:
            fields = changed_fields(before, after)
            await self._audited(
                workspace_id, by, "customer_edited", "customer", customer_id, fields=fields
            )
            log.info(
                "customer record edited",
                extra={
                    "action": "customer.edit",
                    "customer_id": customer_id,
                    "by": history_name(by),
                },
            )
            if after.crm_id and after.crm_id != before.crm_id:
                await self.merge_certain(workspace_id, customer_id)
        return await self.show(workspace_id, customer_id)

    async def _owner(self, workspace_id: int, edit: RecordEdit) -> int | None:
        if edit.owner_agent_id is not None:
            if edit.owner_agent_id == 0:
                return None
            if not await self._store.agent_exists(workspace_id, edit.owner_agent_id):
                raise ConfigurationError("owner", "not an active colleague of this workspace")
            return edit.owner_agent_id
        email = (edit.owner_email or "").strip().lower()
        if not email:
            return None
        found = await self._store.agents_by_email(workspace_id, [email])
        if email not in found:
            raise ConfigurationError("owner", f"{email}: not an active colleague")
        return found[email]

    async def owners(self, workspace_id: int) -> list[tuple[int, str]]:
        """The colleagues who may follow a customer: (agent id, name)."""
        return await self._store.owners(workspace_id)

    async def threads(self, workspace_id: int, customer_id: int) -> list[CustomerThread]:
        """Every thread of every identity of the customer, newest first."""
        await self.show(workspace_id, customer_id)
        return await self._store.threads(workspace_id, customer_id, HISTORY_LIMIT)

    # --- one person across networks ------------------------------------------------------

    async def suggestions(
        self, workspace_id: int, customer_id: int | None = None
    ) -> list[Suggestion]:
        """Customers that may be one person, strongest first; with `customer_id`, those
        that involve that customer."""
        evidence = await self._store.evidence(workspace_id, customer_id, EVIDENCE_LIMIT)
        if not evidence:
            return []
        return _not_apart(evidence, await self._store.apart(workspace_id))

    async def suggested_for(
        self, workspace_id: int, customer_id: int
    ) -> list[tuple[Suggestion, CustomerRecord]]:
        """The customers that may be this one, each with its record, strongest first."""
        found = await self.suggestions(workspace_id, customer_id)
        others = await self._by_id(workspace_id, [s.other(customer_id) for s in found])
        return _with_records(customer_id, found, others)

    async def review_list(
        self, workspace_id: int, limit: int = 200
    ) -> list[tuple[Suggestion, CustomerRecord, CustomerRecord]]:
        """The workspace's pairs to review, strongest first, with both records."""
        found = (await self.suggestions(workspace_id))[:limit]
        records = await self._by_id(workspace_id, [c for s in found for c in (s.first, s.second)])
        return [
            (s, records[s.first], records[s.second])
            for s in found
            if s.first in records and s.second in records
        ]

    async def _by_id(self, workspace_id: int, ids: Sequence[int]) -> dict[int, CustomerRecord]:
        if not ids:
            return {}
        return {r.id: r for r in await self._store.records(workspace_id, sorted(set(ids)))}

    async def auto_merge_kinds(self, workspace_id: int) -> frozenset[EvidenceKind]:
        kinds = await self._store.auto_merge(workspace_id)
        return DEFAULT_AUTO_MERGE if kinds is None else accepted_auto_merge(kinds)

    async def set_auto_merge(self, workspace_id: int, kinds: Sequence[str], actor: Actor) -> None:
        """Which kinds of evidence merge customers without a person (none: every merge is a
        person's); a handle or a name is refused. Callers check that `actor` is an admin."""
        accepted = sorted(accepted_auto_merge(kinds))
        await self._store.set_auto_merge(workspace_id, accepted)
        kinds_kept = [kind.value for kind in accepted]
        await self._audited(
            workspace_id, actor, "auto_merge_changed", "workspace", workspace_id, kinds=kinds_kept
        )

    async def merge_certain(self, workspace_id: int, customer_id: int | None = None) -> int:
        """Merge the pairs whose evidence the workspace accepts as certain, when their
        records do not conflict (a conflict waits for a person); the older customer is kept.
        How many merges were made."""
        accepted = await self.auto_merge_kinds(workspace_id)
        found = await self.suggestions(workspace_id, customer_id)
        return await self._merge_suggested(workspace_id, found, accepted)

    async def after_ingest(self, workspace_id: int, result: IngestResult) -> None:
        """Once a batch is stored: the customers it created merged into those their certain
        evidence names (an ingestion follower)."""
        if result.created_customer_ids:
            await self.merge_new(workspace_id, sorted(result.created_customer_ids))

    async def merge_new(self, workspace_id: int, customer_ids: Sequence[int]) -> int:
        """Customers just created by ingestion, each merged into the older customer it
        certainly is (evidence of the kinds the workspace accepts, no conflicting field), as
        automatic and with its evidence; one read of the evidence for them all. How many
        merges were made."""
        accepted = await self.auto_merge_kinds(workspace_id)
        # A customer ingestion has just created has no CRM id yet: that kind cannot match.
        kinds = sorted(kind.value for kind in accepted - {EvidenceKind.SAME_CRM_ID})
        if not customer_ids or not kinds:
            return 0
        evidence = await self._store.certain_evidence(
            workspace_id, customer_ids, kinds, EVIDENCE_LIMIT
        )
        if not evidence:
            return 0
        apart = await self._store.apart(workspace_id)
        found = [s for s in suggestions(evidence) if (s.first, s.second) not in apart]
        return await self._merge_suggested(workspace_id, found, accepted)

    async def _merge_suggested(
        self, workspace_id: int, found: Sequence[Suggestion], accepted: frozenset[EvidenceKind]
    ) -> int:
        merged = 0
        gone: set[int] = set()
        for suggestion in found:
            if not suggestion.mergeable_by_itself(accepted):
                continue
            if gone & {suggestion.first, suggestion.second}:
                continue  # one side was folded in this pass; the next pass sees the pair anew
            live = await self._store.fields_of(workspace_id, [suggestion.first, suggestion.second])
            if len(live) != 2 or conflicts(live[suggestion.first], live[suggestion.second]):
                continue
            reason = ", ".join(
                f"{e.kind.value} {e.detail}" for e in suggestion.evidence if e.kind in accepted
            )
            await self._merge(
                workspace_id, suggestion.first, suggestion.second, {}, AUTO,
                "accepted as certain by the workspace", reason,
            )  # fmt: skip
            gone.add(suggestion.second)
            merged += 1
        return merged

    async def merge(
        self,
        workspace_id: int,
        kept_id: int,
        other_id: int,
        *,
        choices: Mapping[str, str],
        by: Actor,
        reason: str,
    ) -> int:
        """Fold `other_id` into `kept_id`: its identities, threads and notes move, the
        record takes what `choices` says where both differ ("kept" or "other" per field).
        The change's id, for an undo."""
        if kept_id == other_id:
            raise ConfigurationError("other", "a customer cannot be merged with itself")
        unknown = set(choices) - set(MERGE_FIELDS)
        if unknown:
            raise ConfigurationError("choices", f"only {', '.join(MERGE_FIELDS)} are chosen")
        why = checked_reason(reason)
        evidence = ", ".join(
            f"{e.kind.value} {e.detail}"
            for s in await self.suggestions(workspace_id, kept_id)
            if s.other(kept_id) == other_id
            for e in s.evidence
        )
        change_id = await self._merge(
            workspace_id, kept_id, other_id, choices, history_name(by), why, evidence
        )
        await self._audited(
            workspace_id, by, "customers_merged", "customer", kept_id,
            merged_customer_id=other_id, change_id=change_id,
        )  # fmt: skip
        return change_id

    async def _merge(
        self,
        workspace_id: int,
        kept_id: int,
        other_id: int,
        choices: Mapping[str, str],
        by: str,
        reason: str,
        evidence: str,
    ) -> int:
        change_id = await self._store.merge(
            workspace_id, kept_id, other_id,
            lambda kept, other: merged_fields(kept, other, choices),
            evidence=evidence[:1000], done_by=by, reason=reason,
        )  # fmt: skip
        log.info(
            "customers merged",
            extra={
                "action": "customer.merge",
                "customer_id": kept_id,
                "merged_id": other_id,
                "change_id": change_id,
                "by": by,
            },
        )
        return change_id

    async def conflicts(self, workspace_id: int, kept_id: int, other_id: int) -> tuple[str, ...]:
        """The fields a merge of these two needs a choice for."""
        live = await self._store.fields_of(workspace_id, [kept_id, other_id])
        for customer_id in (kept_id, other_id):
            if customer_id not in live:
                raise NotFoundError("customer", customer_id)
        return conflicts(live[kept_id], live[other_id])

    async def split(
        self, workspace_id: int, customer_id: int, identity_id: int, *, by: Actor, reason: str
    ) -> int:
        """The identity and the threads it opened out to a new customer; its id."""
        new_id, change_id = await self._store.split(
            workspace_id, customer_id, identity_id,
            done_by=history_name(by), reason=checked_reason(reason),
        )  # fmt: skip
        await self._audited(
            workspace_id, by, "customer_split", "customer", customer_id,
            identity_id=identity_id, new_customer_id=new_id, change_id=change_id,
        )  # fmt: skip
        log.info(
            "customer split",
            extra={
                "action": "customer.split",
                "customer_id": customer_id,
                "new_customer_id": new_id,
                "identity_id": identity_id,
                "change_id": change_id,
                "by": history_name(by),
            },
        )
        return new_id

    async def undo_merge(self, workspace_id: int, change_id: int, by: Actor) -> CustomerChange:
        change = await self._store.undo_merge(workspace_id, change_id, history_name(by))
        await self._audited(
            workspace_id, by, "customer_merge_undone", "customer_change", change_id,
            customer_id=change.customer_id, restored_customer_id=change.other_customer_id,
        )  # fmt: skip
        log.info(
            "customer merge undone",
            extra={"action": "customer.unmerge", "change_id": change_id, "by": history_name(by)},
        )
        return change

    async def changes(self, workspace_id: int, customer_id: int) -> list[CustomerChange]:
        return await self._store.changes(workspace_id, customer_id)

    # --- import --------------------------------------------------------------------------

    async def import_csv(
        self, workspace_id: int, text: str, *, dry_run: bool, by: Actor
    ) -> ImportReport:
        """Link CRM ids and attributes to identities by network and handle or external id.
        Every row is checked first: one bad row and nothing is applied (`ImportRejected`
        names them all); otherwise every change is applied in one transaction, and the
        customers the CRM now says are one are merged where the workspace accepts it."""
        rows, bad = parse_import(text)
        if not rows and not bad:
            raise ConfigurationError("file", "no rows to import")
        resolved: dict[int, list[int]] = {}
        if rows:
            for line, customer_id in await self._store.resolve(
                workspace_id, [(r.line, r.network, r.handle, r.external_id) for r in rows]
            ):
                resolved.setdefault(line, []).extend([] if customer_id is None else [customer_id])
        owners = await self._store.agents_by_email(
            workspace_id, sorted({r.owner_email for r in rows if r.owner_email})
        )
        ids = sorted({c for found in resolved.values() for c in found})
        current = await self._store.fields_of(workspace_id, ids) if ids else {}
        planned: dict[int, RecordFields] = {}
        claimed: dict[int, int] = {}
        changes: list[ImportChange] = []
        unchanged = 0
        for row in rows:
            found = resolved.get(row.line, [])
            who = row.external_id or row.handle
            if not found:
                bad.append(BadRow(row.line, f"no {row.network} identity {who!r}"))
                continue
            if len(set(found)) > 1:
                bad.append(BadRow(row.line, f"{row.network} {who!r} matches several customers"))
                continue
            customer_id = found[0]
            if customer_id in claimed:
                bad.append(BadRow(row.line, f"the same customer as line {claimed[customer_id]}"))
                continue
            claimed[customer_id] = row.line
            if row.owner_email and row.owner_email not in owners:
                bad.append(BadRow(row.line, f"owner {row.owner_email}: not an active colleague"))
                continue
            before = current.get(customer_id, RecordFields())
            after = applied_row(before, row, owners)
            if after == before:
                unchanged += 1
                continue
            planned[customer_id] = after
            changes.append(ImportChange(row.line, customer_id, differences(before, after)))
        if bad:
            raise ImportRejected(sorted(bad, key=lambda b: b.line))
        if dry_run or not planned:
            return ImportReport(tuple(changes), unchanged, applied=False)
        await self._store.apply(workspace_id, list(planned.items()))
        log.info(
            "customer records imported",
            extra={"action": "customer.import", "changed": len(planned)},
        )
        merged = await self.merge_certain(workspace_id)
        await self._audited(
            workspace_id, by, "customers_imported", "customer", None,
            customer_ids=sorted(planned), changed=len(planned), merged=merged,
        )  # fmt: skip
        return ImportReport(tuple(changes), unchanged, applied=True, merged=merged)


def suggested_among(facts: CustomerFacts) -> list[tuple[Suggestion, CustomerRecord]]:
    """What `suggested_for` finds for the customer of `facts`, from what was read with their
    thread (nothing without a customer)."""
    if facts.record is None:
        return []
    customer_id = facts.record.id
    found = _not_apart(facts.evidence, facts.apart)
    return _with_records(customer_id, found, {r.id: r for r in facts.others})


def _not_apart(
    evidence: Sequence[Evidence], apart: Collection[tuple[int, int]]
) -> list[Suggestion]:
    # A split, or an undone merge, is a person's word that these are two people: they are
    # neither suggested again nor merged by themselves.
    return [s for s in suggestions(evidence) if (s.first, s.second) not in apart]


def _with_records(
    customer_id: int, found: Sequence[Suggestion], others: Mapping[int, CustomerRecord]
) -> list[tuple[Suggestion, CustomerRecord]]:
    return [(s, others[s.other(customer_id)]) for s in found if s.other(customer_id) in others]
