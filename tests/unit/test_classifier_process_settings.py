"""How many processes classify ingested batches: the setting, none unless asked for."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from inbox.settings import Settings


def settings(monkeypatch: pytest.MonkeyPatch, value: str | None) -> Settings:
    if value is None:
        monkeypatch.delenv("INBOX_CLASSIFIER_PROCESSES", raising=False)
    else:
        monkeypatch.setenv("INBOX_CLASSIFIER_PROCESSES", value)
    return Settings(_env_file=None)


def test_zero_classifies_in_a_thread_of_the_process(monkeypatch: pytest.MonkeyPatch) -> None:
    assert settings(monkeypatch, "0").classifier_process_count() == 0


def test_a_count_given_is_the_count_used(monkeypatch: pytest.MonkeyPatch) -> None:
    assert settings(monkeypatch, "3").classifier_process_count() == 3


def test_unset_classifies_in_a_thread_of_the_process(monkeypatch: pytest.MonkeyPatch) -> None:
    assert settings(monkeypatch, None).classifier_process_count() == 0


def test_a_negative_count_is_refused_naming_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError, match="classifier_processes"):
        settings(monkeypatch, "-1")
