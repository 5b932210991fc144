"""Ingestion classifying in real worker processes, on PostgreSQL: what it stores, a process
killed under it, and processes that end with their parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from inbox.bootstrap import build_services, open_classifier_processes
from inbox.domain.ingestion import ConnectorCursor, IngestBatch
from inbox.domain.network import Network
from inbox.ports.workers import WorkerProcesses
from inbox.store.database import Database
from inbox.store.workspaces import PgWorkspaceStore
from tests.factories import mention

pytestmark = pytest.mark.integration

CONNECTOR = "x:mentions:test"
DEADLINE = 30.0  # seconds: generous, for a shared machine
ROOT = Path(__file__).resolve().parents[2]


def stream() -> list[IngestBatch]:
    texts = [
        "my fibre has been down since this morning, any news?",
        "billed twice for March, write to me at jane.doe@example.com",
        "bonjour, plus d'internet depuis hier soir à Nantes, c'est normal ?",
        "thanks for fixing it so fast yesterday!",
    ]
    return [
        IngestBatch(
            [
                mention(f"{b}-{n}", author=f"a{n}", minute=b, text=texts[(b + n) % len(texts)])
                for n in range(5)
            ],
            cursor=ConnectorCursor(connector=CONNECTOR, position=str(b)),
        )
        for b in range(4)
    ]


@pytest.fixture
async def processes() -> AsyncIterator[WorkerProcesses]:
    async with open_classifier_processes(1, warm=True) as pool:
        assert pool is not None
        yield pool


async def decisions(db: Database, workspace_id: int) -> list[tuple[object, ...]]:
    rows = await db.fetch(
        """SELECT external_id, kind, urgency, language, topics, personal_data::text,
                  reasons::text
           FROM mention_classification WHERE workspace_id = $1 ORDER BY external_id""",
        workspace_id,
    )
    return [tuple(r) for r in rows]


async def workspaces(db: Database) -> tuple[int, int]:
    store = PgWorkspaceStore(db)
    ids = []
    for slug in ("in-processes", "in-a-thread"):
        workspace_id = await store.ensure_workspace(slug, slug)
        await store.add_account(workspace_id, Network.X, "brand", "acme_support")
        ids.append(workspace_id)
    return ids[0], ids[1]


async def test_batches_classified_in_a_process_are_stored_as_in_this_one(
    db: Database, processes: WorkerProcesses
) -> None:
    there, here = await workspaces(db)
    in_processes = build_services(db, classifier_processes=processes).ingest
    in_a_thread = build_services(db).ingest

    results = [r async for r in in_processes.ingest_many(there, stream())]
    expected = [r async for r in in_a_thread.ingest_many(here, stream())]

    assert [r.mentions_added for r in results] == [r.mentions_added for r in expected]
    stored = await decisions(db, there)
    assert len(stored) == 20
    assert stored == await decisions(db, here)


async def test_a_killed_classifier_process_loses_no_batch_and_is_replaced(
    db: Database, processes: WorkerProcesses, caplog: pytest.LogCaptureFixture
) -> None:
    there, here = await workspaces(db)
    killed = await processes.run(os.getpid)
    os.kill(killed, signal.SIGKILL)

    ingest = build_services(db, classifier_processes=processes).ingest
    results = [r async for r in ingest.ingest_many(there, stream())]
    async for _ in build_services(db).ingest.ingest_many(here, stream()):
        pass

    assert [r.mentions_added for r in results] == [5, 5, 5, 5]
    lost = [r for r in caplog.records if getattr(r, "action", None) == "classifier_process_lost"]
    assert lost  # the batches sent to the dead process, classified here instead
    assert await decisions(db, there) == await decisions(db, here)
    cursor = await db.fetchval(
        "SELECT position FROM connector_cursor WHERE workspace_id = $1", there
    )
    assert cursor == "3"
    assert await processes.run(os.getpid) != killed


def gone(pid: int) -> bool:
    """No such process, or a zombie nobody reaps (it holds no memory)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "State:\tZ" in status


def started_from(folder: Path) -> list[int]:
    """Processes whose command line names the folder: the parent script's helpers (the fork
    server, the resource tracker) carry its folder in the path they are given."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and str(folder) in (entry / "cmdline").read_text():
                found.append(int(entry.name))
        except OSError:
            continue  # ended meanwhile
    return [pid for pid in found if not gone(pid)]


def wait_until_gone(pid: int, folder: Path) -> None:
    """The worker process, and every helper its parent started."""
    deadline = time.monotonic() + DEADLINE
    while not gone(pid) or started_from(folder):
        assert time.monotonic() < deadline, f"still running: {pid}, {started_from(folder)}"
        time.sleep(0.05)


PARENT = """
import asyncio, os, sys
from inbox.bootstrap import open_classifier_processes

async def main():
    async with open_classifier_processes(1, warm=True) as pool:
        print(await pool.run(os.getpid), flush=True)
        if sys.argv[1] == "stay":
            await asyncio.Event().wait()

if __name__ == "__main__":
    asyncio.run(main())
"""


def start_parent(tmp_path: Path, mode: str) -> tuple[subprocess.Popen[str], int]:
    script = tmp_path / "parent.py"
    script.write_text(PARENT)
    parent = subprocess.Popen(  # noqa: S603 - this interpreter on a script of ours
        [sys.executable, str(script), mode],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert parent.stdout is not None
    return parent, int(parent.stdout.readline())


def test_classifier_processes_stop_with_the_runtime_that_opened_them(tmp_path: Path) -> None:
    parent, worker = start_parent(tmp_path, "leave")

    parent.communicate(timeout=DEADLINE)

    assert parent.returncode == 0
    wait_until_gone(worker, tmp_path)


def test_a_classifier_process_ends_when_its_parent_is_killed(tmp_path: Path) -> None:
    parent, worker = start_parent(tmp_path, "stay")
    assert not gone(worker)

    parent.kill()
    parent.communicate(timeout=DEADLINE)

    wait_until_gone(worker, tmp_path)
