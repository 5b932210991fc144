"""`inbox customers` as a user runs it: show, set, and an import that is checked whole
before anything is applied."""

from __future__ import annotations

from pathlib import Path

import pytest

from inbox.bootstrap import build_services
from inbox.domain.ingestion import IngestBatch
from inbox.domain.network import Network
from inbox.store.database import Database
from inbox.store.workspaces import PgWorkspaceStore
from tests.e2e.test_cli import env_with, run
from tests.e2e.test_customers import HOSTILE, said

pytestmark = pytest.mark.integration


async def test_set_show_and_import_from_the_command_line(
    db: Database, database_dsn: str, tmp_path: Path
) -> None:
    workspace_id = await PgWorkspaceStore(db).ensure_workspace("default", "default")
    await build_services(db).ingest(
        workspace_id, IngestBatch([said("1", Network.X, "u1", "jane", HOSTILE + "\x1b[31m")])
    )
    customer = await db.fetchval("SELECT id FROM customer WHERE workspace_id = $1", workspace_id)
    env = env_with(DATABASE_URL=database_dsn)

    changed = run("customers", "set", str(customer), "--vip", "--crm-id", "C-1", "--tag", "gold",
                  "--language", "fr", env=env)  # fmt: skip
    assert changed.returncode == 0, changed.stderr
    shown = run("customers", "show", str(customer), env=env)
    assert "vip: yes" in shown.stdout
    assert "crm id: C-1" in shown.stdout
    assert "\x1b" not in shown.stdout  # a network's text never drives the terminal

    bad = tmp_path / "bad.csv"
    bad.write_text("network,handle,crm_id\nx,jane,C-2\nx,nobody,C-3\n", encoding="utf-8")
    refused = run("customers", "import", str(bad), env=env)
    assert refused.returncode != 0
    assert "line 3: no x identity 'nobody'" in refused.stderr
    assert "crm id: C-1" in run("customers", "show", str(customer), env=env).stdout

    good = tmp_path / "good.csv"
    good.write_text("network,handle,crm_id,vip\nx,jane,C-2,no\n", encoding="utf-8")
    dry = run("customers", "import", str(good), "--dry-run", env=env)
    assert dry.returncode == 0, dry.stderr
    assert "would change: vip True -> False; crm_id C-1 -> C-2" in dry.stdout
    assert "crm id: C-1" in run("customers", "show", str(customer), env=env).stdout
    assert run("customers", "import", str(good), env=env).returncode == 0
    assert "crm id: C-2" in run("customers", "show", str(customer), env=env).stdout
