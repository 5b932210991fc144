"""RouteThreads, the routing hook of ingestion, on the in-memory unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import pytest

from inbox.domain.ingestion import IngestBatch, IngestResult
from inbox.domain.mention import Mention
from inbox.domain.routing import RoutingConfig
from inbox.domain.thread import Priority, ThreadKind
from inbox.ports.ingest import AfterIngestHook, IngestUnitOfWork
from inbox.usecases.ingest import IngestMentions
from inbox.usecases.routing import REPEATED_MESSAGES, RouteThreads
from inbox.usecases.routing_config import RoutingConfigs
from routing.snapshot import AgentState, TeamState
from tests.factories import T0, mention
from tests.fakes.ingest import FakeIngestStore
from tests.fakes.routing import RoutingSetup

WORKSPACE = 1
NOW = T0 + timedelta(minutes=5)
FINANCE = TeamState(3, "finance")
LEA = AgentState(7, team_ids=frozenset({3}), name="Léa")

RULES = RoutingConfig(
    settings={"acknowledgements": {"thanks": "Thank you, we are on it."}},
    rules={
        "rules": [
            {"name": "noise", "when": {"kinds": ["praise"]},
             "then": {"no_reply_needed": True}, "stop": True},
            {"name": "billing", "when": {"kinds": ["complaint"]},
             "then": {"team": "finance", "tags": ["billing"], "assign_to": "lea@example.com",
                      "auto_acknowledge": "thanks"}},
        ]
    },
)  # fmt: skip


@dataclass(frozen=True)
class Decided:
    kind: ThreadKind
    language: str | None = "en"
    priority: Priority = Priority.NORMAL
    topics: tuple[str, ...] = ()
    suggest_private_message: bool = False

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind.value}


class ByText:
    """Praise when the text says thanks, a complaint otherwise."""

    async def classify(self, workspace_id: int, mentions: Sequence[Mention]) -> list[Decided]:
        return [
            Decided(ThreadKind.PRAISE if "thanks" in m.text else ThreadKind.COMPLAINT)
            for m in mentions
        ]


def routed(store: FakeIngestStore, *after: AfterIngestHook) -> IngestMentions:
    return IngestMentions(
        store,
        classifier=ByText(),
        hooks=[RouteThreads(RoutingConfigs(), clock=lambda: NOW), *after],
        clock=lambda: NOW,
    )


async def test_a_batch_that_changed_no_thread_routes_nothing() -> None:
    store = FakeIngestStore(routing=RoutingSetup(agents=(LEA,), teams=(FINANCE,)))
    await routed(store)(WORKSPACE, IngestBatch([mention("1")]))

    await routed(store)(WORKSPACE, IngestBatch([mention("1")]))  # known: nothing changed

    assert store.units[1].routing.raised == []
    assert len(store.inbox.assignments) == 1


async def test_the_batchs_threads_are_checked_for_repeated_unanswered_messages() -> None:
    store = FakeIngestStore()

    result = await routed(store)(WORKSPACE, IngestBatch([mention("1"), mention("2")]))

    assert store.units[0].routing.raised == [(sorted(result.changed_thread_ids), REPEATED_MESSAGES)]


async def test_a_new_thread_goes_to_an_agent_who_can_take_it() -> None:
    store = FakeIngestStore(routing=RoutingSetup(agents=(LEA,), teams=(FINANCE,)))

    await routed(store)(WORKSPACE, IngestBatch([mention("1")]))

    ((source, assignment),) = store.inbox.assignments
    assert (source, assignment.agent_id) == ("routing", LEA.agent_id)
    assert store.inbox.thread_of("x", "1").assignee_id == LEA.agent_id


async def test_without_anyone_to_take_it_a_new_thread_is_not_rewritten() -> None:
    store = FakeIngestStore()

    await routed(store)(WORKSPACE, IngestBatch([mention("1")]))

    assert store.inbox.assignments == []


async def test_a_rule_sets_team_tags_and_assignee_and_counts_what_fired() -> None:
    setup = RoutingSetup(RULES, teams=(FINANCE,), emails={"lea@example.com": LEA.agent_id})
    store = FakeIngestStore(routing=setup)

    await routed(store)(WORKSPACE, IngestBatch([mention("1", text="billed twice")]))

    thread = store.inbox.thread_of("x", "1")
    assert (thread.team_id, thread.tags, thread.assignee_id) == (
        3,
        frozenset({"billing"}),
        LEA.agent_id,
    )
    assert [(source, a.agent_id) for source, a in store.inbox.assignments] == [("rule", 7)]
    assert store.inbox.rules_fired == {"billing": 1}


async def test_a_rule_acknowledgement_is_queued_with_its_template_text() -> None:
    store = FakeIngestStore(routing=RoutingSetup(RULES, teams=(FINANCE,)))

    await routed(store)(WORKSPACE, IngestBatch([mention("1", text="billed twice")]))

    thread_id = store.inbox.mentions[("x", "1")]
    assert store.inbox.acknowledgements == [
        (thread_id, f"rule-ack:{thread_id}:{T0.isoformat()}", "Thank you, we are on it.")
    ]


async def test_no_reply_needed_closes_the_thread_on_the_clocks_of_the_same_unit_of_work() -> None:
    store = FakeIngestStore(routing=RoutingSetup(RULES, teams=(FINANCE,)))

    await routed(store)(WORKSPACE, IngestBatch([mention("1", text="thanks, all good")]))

    thread_id = store.inbox.mentions[("x", "1")]
    assert store.inbox.closures == [(thread_id, "no_reply_needed", "rule")]
    assert store.inbox.thread_of("x", "1").status == "resolved"
    assert store.inbox.rules_fired == {"noise": 1}
    assert store.units[0].clocks.closed == {thread_id}


async def test_what_routing_wrote_is_rolled_back_with_a_batch_that_fails_after_it() -> None:
    setup = RoutingSetup(RULES, teams=(FINANCE,), emails={"lea@example.com": LEA.agent_id})
    store = FakeIngestStore(routing=setup)

    async def crash(uow: IngestUnitOfWork, workspace_id: int, result: IngestResult) -> None:
        assert uow.routing is store.units[-1].routing  # routing wrote on this unit
        raise RuntimeError("crash after routing")

    with pytest.raises(RuntimeError, match="crash after routing"):
        await routed(store, crash)(WORKSPACE, IngestBatch([mention("1", text="billed twice")]))

    assert store.units[0].inbox.assignments  # written, then
    assert store.units[0].rolled_back
    assert (store.inbox.assignments, store.inbox.rules_fired, store.inbox.threads) == ([], {}, {})
