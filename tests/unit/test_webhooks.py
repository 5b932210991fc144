"""Outbound webhook rules: filters, addresses, signatures, retries."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from inbox.domain.errors import ConfigurationError
from inbox.domain.webhooks import (
    DeliveryJob,
    event_filters,
    permanent_refusal,
    redacted_url,
    retry_delay,
    signed_headers,
    subscribed,
    validate_url,
)


def test_filters_default_to_everything_and_refuse_unknown_events() -> None:
    assert event_filters([]) == ("*",)
    assert event_filters(["sla.breach", "sla.breach", "sla.*"]) == ("sla.breach", "sla.*")
    with pytest.raises(ConfigurationError, match=r"unknown event 'sla\.breech'"):
        event_filters(["sla.breech"])


@pytest.mark.parametrize(
    ("filters", "kind", "expected"),
    [
        (("*",), "sla.breach", True),
        (("sla.*",), "sla.warning", True),
        (("sla.breach",), "sla.breach", True),
        (("sla.breach",), "sla.warning", False),
    ],
)
def test_subscriptions_match_kinds_families_and_everything(
    filters: tuple[str, ...], kind: str, expected: bool
) -> None:
    assert subscribed(filters, kind) is expected


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://example.com/hook", "http"),
        ("example.com/hook", "http"),
        ("https://user:pw@example.com/hook", "user or password"),
        ("https://example.com/hook#x", "fragment"),
    ],
)
def test_unusable_addresses_are_refused(url: str, problem: str) -> None:
    with pytest.raises(ConfigurationError, match=problem):
        validate_url(url)


def test_shown_addresses_hide_paths_and_queries_where_secrets_live() -> None:
    assert redacted_url("https://hooks.example.com/services/T0/B0/s3cret") == (
        "https://hooks.example.com/…"
    )
    assert redacted_url("http://127.0.0.1:8081/?token=abc") == "http://127.0.0.1:8081/…"
    assert redacted_url("https://example.com") == "https://example.com/"


def test_the_signature_is_an_hmac_of_timestamp_and_body_a_receiver_can_recompute() -> None:
    job = DeliveryJob(
        workspace_id=1,
        id=2,
        webhook_id=3,
        url="https://example.com/hook",
        secret=SecretStr("shh"),
        event_key="sla.breach:1:9",
        event_kind="sla.breach",
        payload='{"kind": "sla.breach"}',
        attempts=1,
    )
    headers = signed_headers(job, datetime(2026, 1, 1, tzinfo=UTC))
    timestamp = headers["X-Inbox-Timestamp"]
    assert timestamp == "1767225600"
    expected = hmac.new(
        b"shh", timestamp.encode() + b"." + job.payload.encode(), hashlib.sha256
    ).hexdigest()
    assert headers["X-Inbox-Signature"] == f"sha256={expected}"
    assert headers["X-Inbox-Delivery"] == "sla.breach:1:9"
    assert "shh" not in repr(job)


def test_retries_back_off_to_an_hour_and_client_errors_are_final_unless_retryable() -> None:
    assert [retry_delay(n) for n in (1, 2, 3)] == [
        timedelta(seconds=10),
        timedelta(seconds=20),
        timedelta(seconds=40),
    ]
    assert retry_delay(50) == timedelta(hours=1)
    assert permanent_refusal(400)
    assert permanent_refusal(410)
    assert not permanent_refusal(429)
    assert not permanent_refusal(503)
