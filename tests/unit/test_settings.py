"""Settings come from the environment and name what is wrong."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from inbox.settings import Settings


def refusal(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> str:
    """What the settings say when the environment variable `name` holds `value`."""
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None)
    return str(caught.value)


def test_without_a_database_url_the_embedded_server_is_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert Settings(_env_file=None).database_url is None


def test_a_non_postgres_url_is_refused_without_echoing_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    said = refusal(monkeypatch, "DATABASE_URL", "mysql://root:hunter2@db/x")
    assert "postgresql://" in said
    assert "hunter2" not in said


def test_the_database_url_is_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:pw@localhost/inbox")
    settings = Settings(_env_file=None)
    assert "pw" not in repr(settings)


def test_outbound_requests_reach_no_internal_destination_unless_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("INBOX_ALLOWED_INTERNAL_HOSTS", raising=False)
    assert Settings(_env_file=None).egress_policy().allowed == ()
    monkeypatch.setenv("INBOX_ALLOWED_INTERNAL_HOSTS", "hooks.internal:8443, 10.0.0.0/24")
    policy = Settings(_env_file=None).egress_policy()
    assert policy.destination("https://hooks.internal:8443/x", "url").port == 8443
    assert policy.destination("https://10.0.0.7/x", "url").host == "10.0.0.7"


def test_an_unreadable_list_of_internal_destinations_is_refused_naming_the_entry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    said = refusal(monkeypatch, "INBOX_ALLOWED_INTERNAL_HOSTS", "hooks.internal, 0x7f.1")
    assert "allowed_internal_hosts" in said
    assert "'0x7f.1': write the address as 127.0.0.1" in said
