"""Reading the times a reply promises, in English and French."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sla.promises import FURTHEST, promised_times

PARIS = ZoneInfo("Europe/Paris")
# A Friday afternoon in Paris.
NOW = datetime(2026, 12, 4, 15, 0, tzinfo=PARIS)


def _read(text: str, now: datetime = NOW) -> list[tuple[str, str, str]]:
    return [
        (p.words, f"{p.start:%a %H:%M}", f"{p.end:%a %H:%M}")
        for p in promised_times(text, now, PARIS)
    ]


@pytest.mark.parametrize(
    ("text", "promised"),
    [
        ("We'll call you at 20:00.", ("at 20:00", "Fri 20:00", "Fri 20:00")),
        ("we'll call you back tomorrow at 9am", ("tomorrow at 9am", "Sat 09:00", "Sat 09:00")),
        ("We'll call at 8 p.m. tomorrow.", ("at 8 p.m. tomorrow", "Sat 20:00", "Sat 20:00")),
        ("Call you at 5:30", ("at 5:30", "Fri 17:30", "Fri 17:30")),
        ("at 5 o'clock", ("at 5 o'clock", "Fri 17:00", "Fri 17:00")),
        ("An engineer comes at noon", ("at noon", "Sat 12:00", "Sat 12:00")),
        ("we'll get back to you by 6pm", ("by 6pm", "Fri 15:00", "Fri 18:00")),
        ("Our team will be back on Monday", ("on Monday", "Mon 00:00", "Tue 00:00")),
        ("see you on Sunday morning", ("on Sunday morning", "Sun 08:00", "Sun 12:00")),
        ("in 2 hours", ("in 2 hours", "Fri 17:00", "Fri 17:00")),
        ("within 2 hours", ("within 2 hours", "Fri 15:00", "Fri 17:00")),
        ("in a few minutes", ("in a few minutes", "Fri 15:03", "Fri 15:03")),
    ],
)
def test_english_promises(text: str, promised: tuple[str, str, str]) -> None:
    assert _read(text) == [promised]


@pytest.mark.parametrize(
    ("text", "promised"),
    [
        ("On vous rappelle demain à 9h30 !", ("demain à 9h30", "Sat 09:30", "Sat 09:30")),
        ("je vous rappelle ce soir à 8h", ("ce soir à 8h", "Fri 20:00", "Fri 20:00")),
        ("samedi matin à 10h", ("samedi matin à 10h", "Sat 10:00", "Sat 10:00")),
        ("Un technicien passe à midi", ("à midi", "Sat 12:00", "Sat 12:00")),
        ("Rappel à 20 h 30", ("à 20 h 30", "Fri 20:30", "Fri 20:30")),
        ("avant 18h", ("avant 18h", "Fri 15:00", "Fri 18:00")),
        ("dans 2 heures c'est réglé", ("dans 2 heures", "Fri 17:00", "Fri 17:00")),
        ("d'ici une heure", ("d'ici une heure", "Fri 15:00", "Fri 16:00")),
        ("sous 48h", ("sous 48h", "Fri 15:00", "Sun 15:00")),
        ("cet après-midi", ("cet après-midi", "Fri 15:00", "Fri 18:00")),
        ("Nous revenons vers vous lundi", ("lundi", "Mon 00:00", "Tue 00:00")),
        ("après-demain", ("après-demain", "Sun 00:00", "Mon 00:00")),
    ],
)
def test_french_promises(text: str, promised: tuple[str, str, str]) -> None:
    assert _read(text) == [promised]


@pytest.mark.parametrize(
    "text",
    [
        "I waited 1h for this",  # a length, not one o'clock
        "Nous sommes là 24h/24",
        "price 20,00 and 3.5 GB",
        "we called you at 8:00 today",  # already past
        "depuis lundi",  # since: the past
        "last monday it broke",
        "lundi dernier",
        "dans l'après-midi",  # not "midi"
        "Thanks for your patience!",
    ],
)
def test_what_promises_nothing(text: str) -> None:
    assert _read(text) == []


def test_a_time_without_a_day_is_its_next_occurrence() -> None:
    assert _read("we'll call at 09:00") == [("at 09:00", "Sat 09:00", "Sat 09:00")]
    morning = NOW.replace(hour=8)
    assert _read("we'll call at 09:00", morning) == [("at 09:00", "Fri 09:00", "Fri 09:00")]


def test_a_weekday_named_on_that_day_is_the_next_one() -> None:
    assert _read("on Friday at 10:00") == [("on Friday at 10:00", "Fri 10:00", "Fri 10:00")]
    (promise,) = promised_times("on Friday at 10:00", NOW, PARIS)
    assert promise.start.date() == NOW.date() + timedelta(days=7)


def test_each_sentence_pairs_its_own_day_and_time() -> None:
    text = "We'll call you tomorrow. The technician comes at 14:00 on Monday."
    assert _read(text) == [
        ("tomorrow", "Sat 00:00", "Sun 00:00"),
        ("at 14:00 on Monday", "Mon 14:00", "Mon 14:00"),
    ]


@given(st.integers(0, 23), st.integers(0, 59))
def test_any_time_on_24_hours_is_read_as_written(hour: int, minute: int) -> None:
    for text in (
        f"we call you at {hour:02d}:{minute:02d}",
        f"on vous rappelle à {hour}h{minute:02d}",
    ):
        (promise,) = promised_times(text, NOW, PARIS)
        assert promise.moment
        assert promise.start.timetz().replace(tzinfo=None) == time(hour, minute)
        assert NOW < promise.start <= NOW + timedelta(days=1)


@given(st.text(max_size=300))
def test_any_text_gives_promises_to_come_within_the_horizon(text: str) -> None:
    for promise in promised_times(text, NOW, PARIS):
        assert promise.end > NOW
        assert promise.start <= promise.end
        assert promise.start - NOW <= FURTHEST
        assert promise.words.strip()


@given(st.sampled_from(["demain à 9h", "tomorrow at 9am", "à 20h", "lundi"]), st.text(max_size=40))
def test_words_around_a_promise_do_not_hide_it(promise: str, around: str) -> None:
    text = f"{around.replace('.', ' ')}\n{promise}"
    assert any(p.words == promise for p in promised_times(text, NOW, PARIS))
