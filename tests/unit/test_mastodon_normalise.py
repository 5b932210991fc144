"""The Mastodon connector's pure parts: HTML to text, events, notifications, URLs, limits."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.mastodon.api import instance_url, rate_limit_from
from connectors.mastodon.html_text import html_to_text
from connectors.mastodon.normalise import normalise_notification, normalise_notifications
from connectors.mastodon.sse import EventParser
from inbox.domain.errors import ConfigurationError


@pytest.mark.parametrize(
    ("content", "text"),
    [
        ("<p>Hello &amp; welcome</p>", "Hello & welcome"),
        ("<p>one</p><p>two</p>", "one\n\ntwo"),
        ("<p>line<br>next<br />last</p>", "line\nnext\nlast"),
        (
            '<p><a href="https://evil.example/x" class="u-url mention">'
            "@<span>bob</span></a> hi</p>",
            "@bob hi",
        ),
        (
            '<a href="https://example.com/a/long/path"><span class="invisible">https://</span>'
            '<span class="ellipsis">example.com/a/lo</span><span class="invisible">ng/path</span>'
            "</a>",
            "https://example.com/a/long/path",
        ),
        ("<p>safe</p><script>alert(1)</script><style>p{}</style>", "safe"),
        ("<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>", "<script>alert(1)</script>"),
        ("<p>unclosed <b>bold", "unclosed bold"),
        ("", ""),
    ],
)
def test_html_content_becomes_plain_text(content: str, text: str) -> None:
    assert html_to_text(content) == text


@given(st.text())
def test_any_markup_becomes_text_without_raising(content: str) -> None:
    assert isinstance(html_to_text(content), str)


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp"))))
def test_escaped_words_come_back_as_they_were_written(words: str) -> None:
    assert html_to_text(f"<p>{html.escape(words)}</p>") == words.strip()


def test_events_are_read_across_lines_with_heartbeats_between() -> None:
    parser = EventParser()
    lines = [b":)\n", b"event: notification\n", b'data: {"id":\n', b'data: "1"}\n', b"\n"]
    lines += [b":thump\n", b"event: delete\n", b"data: 42\n", b"\n"]
    events = [event for line in lines if (event := parser.feed(line)) is not None]
    assert [(e.name, e.data) for e in events] == [
        ("notification", '{"id":\n"1"}'),
        ("delete", "42"),
    ]
    assert parser.heartbeats == 2
    assert parser.pending() is None


def test_an_event_cut_by_a_broken_connection_is_kept_whole() -> None:
    parser = EventParser()
    for line in (b"event: notification\n", b'data: {"id":"9'):
        assert parser.feed(line) is None
    assert parser.pending() == b'event: notification\ndata: {"id":"9'


def status(**changes: Any) -> dict[str, Any]:
    value: dict[str, Any] = {
        "id": "110",
        "created_at": "2026-03-22T23:05:57.000Z",
        "in_reply_to_id": None,
        "visibility": "public",
        "language": "en",
        "url": "https://other.example/@ann/110",
        "content": "<p>@acme my line is down</p>",
        "spoiler_text": "",
        "account": {"id": "7", "username": "ann", "acct": "ann@other.example"},
    }
    value.update(changes)
    return value


def notification(**changes: Any) -> dict[str, Any]:
    value: dict[str, Any] = {
        "id": "55",
        "type": "mention",
        "created_at": "2026-03-22T23:05:58.000Z",
        "account": {"id": "7", "username": "ann", "acct": "ann@other.example"},
        "status": status(),
    }
    value.update(changes)
    return value


def test_a_mention_notification_becomes_a_mention() -> None:
    result = normalise_notification(notification(), source="test")
    mention = result.mention
    assert mention is not None
    assert (mention.external_id, mention.text, mention.author.handle) == (
        "110",
        "@acme my line is down",
        "ann@other.example",
    )
    assert mention.raw["private"] is False
    assert result.notification_id == "55"


def test_a_direct_mention_is_private() -> None:
    result = normalise_notification(notification(status=status(visibility="direct")), source="test")
    assert result.mention is not None
    assert result.mention.raw["private"] is True


@pytest.mark.parametrize(
    ("broken", "named"),
    [
        (notification(status=status(created_at="yesterday")), "status.created_at"),
        (notification(status=status(visibility="everyone")), "status.visibility"),
        (notification(status=status(id="../../admin")), "status.id"),
        (notification(status=status(account=None)), "status.account"),
        (notification(id=None), "notification 1: id"),
        ("a string", "not an object"),
    ],
)
def test_a_malformed_notification_is_rejected_naming_the_field(broken: Any, named: str) -> None:
    page = normalise_notifications([notification(id="54"), broken], source="test")
    assert len(page.mentions) == 1
    (rejected,) = page.rejected
    assert named in rejected.error
    assert rejected.source == "test"


def test_a_page_that_is_not_a_list_is_rejected_whole() -> None:
    page = normalise_notifications({"error": "The access token is invalid"}, source="test")
    assert page.mentions == []
    assert "The access token is invalid" in page.rejected[0].error


def test_ids_order_by_number_not_by_text() -> None:
    page = normalise_notifications(
        [notification(id="99"), notification(id="100", status=status(id="111"))], source="t"
    )
    assert page.newest_id == "100"


@pytest.mark.parametrize(
    ("given_url", "expected"),
    [
        ("mastodon.social", "https://mastodon.social"),
        ("https://mastodon.social/", "https://mastodon.social"),
        ("http://127.0.0.1:8123", "http://127.0.0.1:8123"),
        ("http://localhost:3000", "http://localhost:3000"),
    ],
)
def test_instance_urls_are_normalised(given_url: str, expected: str) -> None:
    assert instance_url(given_url) == expected


@pytest.mark.parametrize(
    "refused",
    ["http://mastodon.social", "https://mastodon.social/api", "ftp://x.example", "https://"],
)
def test_instance_urls_that_could_leak_the_token_are_refused(refused: str) -> None:
    with pytest.raises(ConfigurationError):
        instance_url(refused)


def test_rate_limit_headers_carry_an_iso_reset() -> None:
    limit = rate_limit_from(
        {
            "X-RateLimit-Limit": "300",
            "X-RateLimit-Remaining": "12",
            "X-RateLimit-Reset": "2026-05-22T20:55:00.000Z",
        }
    )
    assert limit is not None
    assert (limit.limit, limit.remaining) == (300, 12)
    assert limit.reset_at == datetime(2026, 5, 22, 20, 55, tzinfo=UTC)
    assert rate_limit_from({"X-RateLimit-Limit": "300"}) is None


def test_a_status_dated_beyond_utc_is_rejected_naming_the_field_and_the_page_goes_on() -> None:
    bad = notification(id="56", status=status(id="111", created_at="0001-01-01T00:00:00+05:00"))
    page = normalise_notifications([bad, notification()], source="m")
    assert [m.external_id for m in page.mentions] == ["110"]
    (rejected,) = page.rejected
    assert rejected.error.startswith("notification 56: status.created_at: ")
