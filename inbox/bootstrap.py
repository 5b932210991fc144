"""The composition root: the one place that builds adapters and wires them into use cases."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg
import platformdirs

from inbox.domain.errors import ConfigurationError, DatabaseUnavailableError
from inbox.settings import Settings
from inbox.store.credentials import PgCredentialStore
from inbox.store.database import Database
from inbox.store.embedded import APP_NAME, EmbeddedPostgres, default_data_dir
from inbox.store.health import PgHealthCheck
from inbox.store.ingest import PgIngestStore
from inbox.store.migrate import migrate
from inbox.store.secret_box import SecretBox, load_or_create_key
from inbox.store.threads import PgThreadQuery
from inbox.store.tokens import PgTokenStore
from inbox.store.workspaces import PgWorkspaceStore
from inbox.usecases.health import CheckHealth
from inbox.usecases.ingest import IngestMentions
from inbox.usecases.services import Services
from inbox.usecases.threads import ListThreads
from inbox.usecases.tokens import ApiTokens

log = logging.getLogger(__name__)

EMBEDDED_DATABASE = "inbox"


@dataclass(frozen=True, slots=True)
class Runtime:
    settings: Settings
    db: Database
    services: Services
    workspaces: PgWorkspaceStore
    default_workspace_id: int


def build_services(db: Database) -> Services:
    return Services(
        ingest=IngestMentions(PgIngestStore(db)),
        list_threads=ListThreads(PgThreadQuery(db)),
        tokens=ApiTokens(PgTokenStore(db)),
        health=CheckHealth(PgHealthCheck(db)),
    )


async def _ensure_embedded_database(server: EmbeddedPostgres, admin_dsn: str) -> str:
    conn = await asyncpg.connect(admin_dsn)
    try:
        exists = await conn.fetchval(
            "SELECT 1 FROM pg_database WHERE datname = $1", EMBEDDED_DATABASE
        )
        if not exists:
            await conn.execute(f'CREATE DATABASE "{EMBEDDED_DATABASE}"')
    finally:
        await conn.close()
    return server.dsn(EMBEDDED_DATABASE)


@asynccontextmanager
async def open_database(settings: Settings, *, apply_migrations: bool) -> AsyncIterator[Database]:
    """The configured database (embedded when no DATABASE_URL), migrated, closed on exit."""
    embedded: EmbeddedPostgres | None = None
    if settings.database_url is None:
        embedded = EmbeddedPostgres(settings.data_dir or default_data_dir())
        admin_dsn = await asyncio.to_thread(embedded.start)
        try:
            dsn = await _ensure_embedded_database(embedded, admin_dsn)
        except (OSError, asyncpg.PostgresError) as exc:
            await asyncio.to_thread(embedded.stop)
            raise DatabaseUnavailableError(f"embedded PostgreSQL is not usable: {exc}") from exc
        log.info("embedded postgres ready", extra={"action": "database_ready", "embedded": True})
    else:
        dsn = settings.database_url.get_secret_value()
    try:
        db = await Database.connect(dsn, size=settings.pool_size)
        try:
            if apply_migrations:
                async with db.connection() as conn:
                    applied = await migrate(conn)
                if applied:
                    log.info("schema migrated", extra={"action": "migrate", "versions": applied})
            yield db
        finally:
            await db.close()
    finally:
        if embedded is not None:
            await asyncio.to_thread(embedded.stop)


@asynccontextmanager
async def open_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    async with open_database(settings, apply_migrations=True) as db:
        workspaces = PgWorkspaceStore(db)
        workspace_id = await workspaces.ensure_workspace(settings.workspace, settings.workspace)
        yield Runtime(settings, db, build_services(db), workspaces, workspace_id)


def secret_box(settings: Settings) -> SecretBox:
    """The key that seals stored credentials: INBOX_SECRET_KEY, else the key file."""
    if settings.secret_key is not None:
        return SecretBox(settings.secret_key)
    key_file = settings.secret_key_file or platformdirs.user_data_path(APP_NAME) / "secret.key"
    try:
        return SecretBox(load_or_create_key(key_file))
    except OSError as exc:
        raise ConfigurationError(
            "INBOX_SECRET_KEY_FILE", f"cannot read or create {key_file}: {exc.strerror}"
        ) from exc


def credential_store(settings: Settings, db: Database) -> PgCredentialStore:
    return PgCredentialStore(db, secret_box(settings))
