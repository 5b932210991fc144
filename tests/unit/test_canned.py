"""Canned responses: placeholders checked when saved, filled for a thread."""

from __future__ import annotations

import pytest

from inbox.domain.errors import ConfigurationError
from inbox.usecases.canned import checked


def test_a_response_is_filled_for_its_thread() -> None:
    (response,) = checked([{"name": "sorry", "body": "Hi {customer}, {agent} here (#{thread})."}])
    assert response.filled(customer="@ana", agent="Sam", thread=7) == "Hi @ana, Sam here (#7)."


@pytest.mark.parametrize(
    ("items", "problem"),
    [
        ([{"name": "x", "body": "Hi {name}"}], "unknown placeholders ['name']"),
        ([{"name": "x", "body": "Hi {customer"}], "unbalanced braces"),
        ([{"name": "x", "body": "a"}, {"name": "X", "body": "b"}], "different from the others"),
        ([{"name": "x", "body": " "}], "a body of plain text"),
        ([{"name": "x", "body": "a", "lang": "fr"}], '"name", "body", "language"'),
        ("not a list", "a list of at most"),
    ],
)
def test_bad_responses_are_refused_with_the_reason(items: object, problem: str) -> None:
    with pytest.raises(ConfigurationError, match=problem.replace("[", r"\[").replace("]", r"\]")):
        checked(items)
