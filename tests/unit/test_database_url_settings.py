"""The addresses of the database: the pool's, the direct one for sessions, and what they allow."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from inbox.settings import Settings

POOLER = "postgresql://inbox:pw@pgbouncer:6432/inbox"
SERVER = "postgresql://inbox:secret-pw@postgres:5432/inbox"


def test_the_direct_url_is_a_secret_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", POOLER)
    monkeypatch.setenv("INBOX_DIRECT_DATABASE_URL", SERVER)
    settings = Settings(_env_file=None)
    assert settings.direct_database_url is not None
    assert settings.direct_database_url.get_secret_value() == SERVER
    assert "secret-pw" not in repr(settings)


def test_without_a_direct_url_sessions_use_the_database_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", SERVER)
    monkeypatch.delenv("INBOX_DIRECT_DATABASE_URL", raising=False)
    settings = Settings(_env_file=None)
    assert settings.direct_database_url is None
    assert settings.statement_cache_size == 100  # asyncpg's own default


def test_a_direct_url_without_a_database_url_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("INBOX_DIRECT_DATABASE_URL", SERVER)
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None)
    assert "set DATABASE_URL too" in str(caught.value)
    assert "secret-pw" not in str(caught.value)


def test_a_direct_url_of_another_kind_is_refused_without_echoing_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", POOLER)
    monkeypatch.setenv("INBOX_DIRECT_DATABASE_URL", "mysql://root:secret-pw@db/x")
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None)
    assert "postgresql://" in str(caught.value)
    assert "secret-pw" not in str(caught.value)


def test_the_statement_cache_may_be_turned_off_for_a_pooler(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", POOLER)
    monkeypatch.setenv("INBOX_STATEMENT_CACHE_SIZE", "0")
    assert Settings(_env_file=None).statement_cache_size == 0


def test_a_read_replica_url_needs_a_database_url_and_a_positive_lag_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("INBOX_READ_DATABASE_URL", "postgresql://inbox:secret-pw@replica/inbox")
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None)
    assert "INBOX_READ_DATABASE_URL is set without DATABASE_URL" in str(caught.value)
    assert "secret-pw" not in str(caught.value)
    monkeypatch.setenv("DATABASE_URL", SERVER)
    assert Settings(_env_file=None).replica_max_lag_seconds == 30.0
    monkeypatch.setenv("INBOX_REPLICA_MAX_LAG_SECONDS", "0")
    with pytest.raises(ValidationError, match="replica_max_lag_seconds"):
        Settings(_env_file=None)
