"""Audit entries: summaries keep no secret and no text, and each row's hash chains it to the
one before."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from inbox.domain.audit import (
    COMMAND_LINE,
    LONGEST_SUMMARY_VALUE,
    Actor,
    ActorKind,
    AuditEntry,
    row_hash,
    summary_of,
)

AT = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def test_a_summary_drops_every_key_that_names_a_secret_or_a_text() -> None:
    kept = summary_of(
        roles=["admin"],
        password="hunter22",
        signing_secret="s",
        api_token="t",
        access_key="k",
        credentials=["x"],
        body="Dear customer",
        text="hello",
        recovery_code="abc",
    )
    assert kept == {"roles": ["admin"]}


def test_a_summary_keeps_plain_values_and_cuts_long_texts() -> None:
    kept = summary_of(name="x" * 1000, capacity=3, vip=True, teams=("a", "b"), nothing=None)
    assert kept["name"] == "x" * LONGEST_SUMMARY_VALUE
    assert kept["capacity"] == 3
    assert kept["vip"] is True
    assert kept["nothing"] is None
    assert kept["teams"] == ["a", "b"]


def test_a_nested_summary_is_filtered_too() -> None:
    assert summary_of(after={"name": "Ada", "password": "x"}) == {"after": {"name": "Ada"}}


def _entry(action: str = "roles_changed") -> AuditEntry:
    actor = Actor(ActorKind.PERSON, 7, "Ada", "127.0.0.1")
    return AuditEntry(1, actor, action, "person", "8", {"before": ["agent"], "after": ["lead"]})


def test_a_row_hash_depends_on_the_previous_hash_and_every_field() -> None:
    first = row_hash(None, _entry(), AT, 1)
    assert row_hash(None, _entry(), AT, 1) == first
    assert row_hash(first, _entry(), AT, 2) != row_hash(None, _entry(), AT, 2)
    assert row_hash(None, _entry("password_reset"), AT, 1) != first
    altered = dataclasses.replace(_entry(), summary={"before": ["agent"], "after": ["admin"]})
    assert row_hash(None, altered, AT, 1) != first


def test_the_command_line_is_an_actor_without_an_id() -> None:
    assert COMMAND_LINE.kind is ActorKind.COMMAND_LINE
    assert COMMAND_LINE.actor_id is None
    assert COMMAND_LINE.name == "command line"
