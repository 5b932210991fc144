"""Each workspace's classifier learns from its own agents' corrections, on the real
PostgreSQL: the worker's pass learns the adjustment, the workspace's next classification uses
it, and no other workspace's classifier changes."""

from __future__ import annotations

import pytest

from inbox.bootstrap import build_services
from inbox.domain.audit import COMMAND_LINE
from inbox.domain.ingestion import IngestBatch
from inbox.domain.thread import ThreadKind
from inbox.store.corrections import PgCorrectionStore
from inbox.store.database import Database
from inbox.store.routing import PgRoutingStore
from inbox.store.workspaces import PgWorkspaceStore
from inbox.usecases.learning import LearnFromCorrections
from inbox.usecases.routing_config import RoutingConfigs
from inbox.usecases.services import Services
from routing.classify import Classifier
from tests.factories import mention

pytestmark = pytest.mark.integration

# What this workspace's customers mean by "grey screen": its kiosks are down.
CORRECTED = [
    "@acme the kiosk shows the grey screen",
    "@acme grey screen at the till this morning",
    "@acme the grey screen is on the big kiosk",
    "@acme grey screen on kiosk 4 now",
    "@acme kiosk at the entrance: grey screen",
    "@acme grey screen again at the self checkout",
]
NEW = "@acme grey screen on the kiosk at platform 2"


async def corrected_threads(services: Services, db: Database, workspace_id: int) -> None:
    """The texts ingested, each its own thread, and each corrected to a complaint."""
    await services.ingest(
        workspace_id,
        IngestBatch(
            [mention(f"g{n}", conversation=f"g{n}", text=t) for n, t in enumerate(CORRECTED)]
        ),
    )
    async with db.connection() as conn:
        thread_ids = await conn.fetch(
            "SELECT id FROM thread WHERE workspace_id = $1 ORDER BY id", workspace_id
        )
    for row in thread_ids:
        await services.correct_classification(
            workspace_id, row["id"], "kind", "complaint", COMMAND_LINE
        )


async def kind_for(db: Database, workspace_id: int, text: str) -> ThreadKind:
    config = await PgRoutingStore(db).load_config(workspace_id)
    classifier = RoutingConfigs().parsed(workspace_id, config).classifier
    return classifier.classify(text, language="en").kind


async def test_a_workspaces_corrections_change_its_own_classifier_and_no_other(
    db: Database, workspace_id: int
) -> None:
    services = build_services(db)
    other = await PgWorkspaceStore(db).ensure_workspace("globex", "Globex")
    await services.ingest(other, IngestBatch([mention("o1", conversation="o1", text=NEW)]))
    assert Classifier().classify(NEW, language="en").kind is not ThreadKind.COMPLAINT

    await corrected_threads(services, db, workspace_id)
    learned = await LearnFromCorrections(PgCorrectionStore(db))()

    assert learned == [workspace_id]
    assert await kind_for(db, workspace_id, NEW) is ThreadKind.COMPLAINT
    assert await kind_for(db, other, NEW) is Classifier().classify(NEW, language="en").kind
    assert await PgRoutingStore(db).load_config(other) is None  # nothing stored for it


async def test_the_worker_relearns_only_after_new_corrections(
    db: Database, workspace_id: int
) -> None:
    services = build_services(db)
    await corrected_threads(services, db, workspace_id)
    learn = LearnFromCorrections(PgCorrectionStore(db))
    assert await learn() == [workspace_id]
    assert await learn() == []
    first = await PgRoutingStore(db).load_config(workspace_id)
    assert first is not None
    assert first.adjustment is not None
    assert first.adjustment["examples"] == len(CORRECTED)

    async with db.connection() as conn:
        thread_id = await conn.fetchval(
            "SELECT min(id) FROM thread WHERE workspace_id = $1", workspace_id
        )
    await services.correct_classification(workspace_id, thread_id, "urgency", "high", COMMAND_LINE)
    assert await learn() == [workspace_id]
    again = await PgRoutingStore(db).load_config(workspace_id)
    assert again is not None
    assert again.adjustment_version == first.adjustment_version + 1
