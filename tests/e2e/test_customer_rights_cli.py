"""`inbox customers export` and `inbox customers erase` as a user runs them: a zip file of
everything held about the customer, then the erasure, recorded as the command line's."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from inbox.bootstrap import build_services
from inbox.domain.ingestion import IngestBatch
from inbox.domain.network import Network
from inbox.store.database import Database
from inbox.store.workspaces import PgWorkspaceStore
from tests.e2e.test_cli import env_with, run
from tests.e2e.test_customers import said

pytestmark = pytest.mark.integration


async def test_export_then_erase_from_the_command_line(
    db: Database, database_dsn: str, tmp_path: Path
) -> None:
    workspace_id = await PgWorkspaceStore(db).ensure_workspace("default", "default")
    await build_services(db).ingest(
        workspace_id, IngestBatch([said("1", Network.X, "u1", "jane_cli", "Jane Clifford")])
    )
    customer = await db.fetchval("SELECT id FROM customer WHERE workspace_id = $1", workspace_id)
    env = env_with(DATABASE_URL=database_dsn)
    out = tmp_path / "jane.zip"

    exported = run("customers", "export", str(customer), "--out", str(out), env=env)
    assert exported.returncode == 0, exported.stderr
    assert f"exported to {out}" in exported.stdout
    with zipfile.ZipFile(out) as archive:
        document = json.loads(archive.read(f"customer-{customer}.json"))
    assert [m["body"] for m in document["sections"]["messages"]] == ["hello from Jane Clifford"]

    refused = run("customers", "erase", str(customer), env=env)
    assert refused.returncode != 0  # the request it answers is required
    erased = run("customers", "erase", str(customer), "--reason", "request R-3", env=env)
    assert erased.returncode == 0, erased.stderr
    assert "now erased-" in erased.stdout
    again = run("customers", "erase", str(customer), "--reason", "request R-3", env=env)
    assert again.returncode != 0
    assert "already erased" in again.stderr
    assert "Jane" not in run("customers", "show", str(customer), env=env).stdout
    asked = run("customers", "was-erased", "x", "u1", env=env)
    assert asked.returncode == 0, asked.stderr
    assert f"customer {customer}, now erased-" in asked.stdout
    assert "no erasure" in run("customers", "was-erased", "x", "u2", env=env).stdout
    actors = await db.fetch(
        "SELECT actor_kind, action FROM audit_entry WHERE workspace_id = $1 ORDER BY id",
        workspace_id,
    )
    assert [(r["actor_kind"], r["action"]) for r in actors] == [
        ("command_line", "customer.exported"),
        ("command_line", "customer.erased"),
    ]
