"""Settings come from the environment and name what is wrong."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from inbox.settings import Settings


def test_without_a_database_url_the_embedded_server_is_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert Settings(_env_file=None).database_url is None


def test_a_non_postgres_url_is_refused_without_echoing_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://root:hunter2@db/x")
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None)
    assert "postgresql://" in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_the_database_url_is_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:pw@localhost/inbox")
    settings = Settings(_env_file=None)
    assert "pw" not in repr(settings)
