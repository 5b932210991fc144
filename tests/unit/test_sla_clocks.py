"""Response clocks derived from a thread's messages, whatever order they arrived in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from sla.clocks import ClockSpan, TimelineMessage, response_spans
from sla.policy import ClockKind

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def inbound(minutes: int) -> TimelineMessage:
    return TimelineMessage(at(minutes), inbound=True)


def reply(minutes: int, *, qualifying: bool = True) -> TimelineMessage:
    return TimelineMessage(at(minutes), inbound=False, qualifying=qualifying)


def test_first_then_next_response_clocks() -> None:
    spans = response_spans([inbound(0), inbound(5), reply(30), inbound(40), reply(50), inbound(90)])
    assert spans == [
        ClockSpan(ClockKind.FIRST_RESPONSE, at(0), at(30)),
        ClockSpan(ClockKind.NEXT_RESPONSE, at(40), at(50)),
        ClockSpan(ClockKind.NEXT_RESPONSE, at(90), None),
    ]


def test_automatic_acknowledgements_do_not_stop_a_clock() -> None:
    spans = response_spans([inbound(0), reply(1, qualifying=False), reply(45)])
    assert spans == [ClockSpan(ClockKind.FIRST_RESPONSE, at(0), at(45))]


def test_a_brand_post_before_any_customer_message_starts_nothing() -> None:
    assert response_spans([reply(0), inbound(10)]) == [
        ClockSpan(ClockKind.FIRST_RESPONSE, at(10), None)
    ]


messages = st.lists(
    st.builds(
        TimelineMessage,
        st.integers(0, 500).map(at),
        st.booleans(),
        st.booleans(),
    ),
    max_size=12,
)


@given(messages, st.randoms())
def test_spans_do_not_depend_on_arrival_order(history: list[TimelineMessage], rng: object) -> None:
    shuffled = list(history)
    rng.shuffle(shuffled)  # type: ignore[attr-defined]
    spans = response_spans(history)
    assert response_spans(shuffled) == spans
    assert all(s.stopped_at is None or s.stopped_at >= s.started_at for s in spans)
    assert sum(1 for s in spans if s.stopped_at is None) <= 1
    assert [s.kind for s in spans][:1] in ([], [ClockKind.FIRST_RESPONSE])
