"""The demo's canned responses: what an admin could save, in French and English, using every
placeholder the product fills in, and short enough for a post on X once filled."""

from __future__ import annotations

import string

from inbox.demo_workspace import CANNED
from inbox.usecases.canned import PLACEHOLDERS, CannedResponse, checked

X_POST_CHARACTERS = 280
LONGEST_X_HANDLE = "@" + "x" * 15


def _saved() -> list[CannedResponse]:
    return checked([{"name": n, "language": lang, "body": b} for n, lang, b in CANNED])


def test_the_demo_has_a_handful_of_canned_responses_in_french_and_in_english() -> None:
    languages = [response.language for response in _saved()]
    assert set(languages) == {"fr", "en"}
    assert all(languages.count(language) >= 3 for language in ("fr", "en"))


def test_the_demos_canned_responses_use_every_placeholder() -> None:
    used = {
        field
        for response in _saved()
        for _, field, _, _ in string.Formatter().parse(response.body)
        if field
    }
    assert used == PLACEHOLDERS


def test_each_canned_response_fits_a_post_on_x_once_filled() -> None:
    for response in _saved():
        filled = response.filled(customer=LONGEST_X_HANDLE, agent="Chloé Petit", thread=99999)
        assert len(filled) <= X_POST_CHARACTERS, response.name
