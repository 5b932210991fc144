"""The key that seals stored credentials must outlive the process when the database does: with
an external DATABASE_URL it comes from the environment or a mounted file, never generated."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from inbox.bootstrap import secret_box
from inbox.cli import main
from inbox.domain.errors import ConfigurationError
from inbox.settings import Settings

EXTERNAL = "postgresql://inbox:pw@db:5432/inbox"


@pytest.fixture(autouse=True)
def no_key_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "INBOX_SECRET_KEY", "INBOX_SECRET_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)


def test_an_external_database_without_a_key_is_refused_naming_both_settings_and_why(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", EXTERNAL)
    with pytest.raises(ConfigurationError) as refused:
        Settings(_env_file=None).require_lasting_secret_key()
    message = str(refused.value)
    assert "INBOX_SECRET_KEY or INBOX_SECRET_KEY_FILE" in message
    assert "recreated" in message
    assert "credentials" in message
    assert "pw" not in message


def test_an_external_database_with_a_key_in_the_environment_is_accepted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", EXTERNAL)
    monkeypatch.setenv("INBOX_SECRET_KEY", "k" * 43 + "=")
    Settings(_env_file=None).require_lasting_secret_key()


def test_an_external_database_with_a_mounted_key_file_seals_with_that_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    mounted = tmp_path / "inbox_secret_key"
    mounted.write_text(Fernet.generate_key().decode() + "\n", encoding="ascii")  # as `echo` writes
    monkeypatch.setenv("DATABASE_URL", EXTERNAL)
    monkeypatch.setenv("INBOX_SECRET_KEY_FILE", str(mounted))
    settings = Settings(_env_file=None)
    settings.require_lasting_secret_key()
    box = secret_box(settings)
    assert Fernet(mounted.read_text().strip()).decrypt(box.seal(SecretStr("token"))) == b"token"


def test_the_embedded_default_needs_no_key_setting() -> None:
    Settings(_env_file=None).require_lasting_secret_key()


def test_nothing_is_sealed_with_a_generated_key_beside_an_external_database(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", EXTERNAL)
    with pytest.raises(ConfigurationError, match="INBOX_SECRET_KEY_FILE"):
        secret_box(Settings(_env_file=None))


def test_inbox_secret_key_prints_a_key_the_settings_accept(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["secret-key"]) == 0
    printed = capsys.readouterr().out.strip()
    monkeypatch.setenv("DATABASE_URL", EXTERNAL)
    monkeypatch.setenv("INBOX_SECRET_KEY", printed)
    box = secret_box(Settings(_env_file=None))
    assert Fernet(printed).decrypt(box.seal(SecretStr("token"))) == b"token"
