"""A search result's excerpt: the matching message's words around its first match, the words
searched marked, cut on word boundaries."""

from __future__ import annotations

from inbox.store.search_results import EXCERPT_CHARS, excerpt

OPEN, CLOSE = "\x01", "\x02"


def marked(text: str, *words: str) -> str:
    for word in words:
        text = text.replace(word, f"{OPEN}{word}{CLOSE}")
    return text


def shown(pieces: tuple[tuple[str, bool], ...]) -> str:
    return "".join(f"[{text}]" if matched else text for text, matched in pieces)


def test_every_word_marked_is_a_piece_of_its_own() -> None:
    pieces = excerpt(marked("ma facture est fausse, invoice wrong", "facture", "invoice"))
    assert shown(pieces) == "ma [facture] est fausse, [invoice] wrong"


def test_a_short_message_is_shown_whole() -> None:
    assert excerpt("no match marked here") == (("no match marked here", False),)


def test_a_long_message_is_cut_around_its_first_match_on_word_boundaries() -> None:
    before = " ".join(f"word{n}" for n in range(40))
    after = " ".join(f"more{n}" for n in range(60))
    pieces = excerpt(f"{before} the {OPEN}invoice{CLOSE} {after}")
    text = shown(pieces)
    assert text.startswith("…word")
    assert text.endswith("…")
    assert "[invoice]" in text
    inner = text.strip("…")
    assert len(inner) <= EXCERPT_CHARS + 2  # the marks' brackets
    assert not inner.startswith(" ")
    assert not inner.endswith(" ")
    # no word cut in two: every word shown is whole
    words = inner.replace("[", "").replace("]", "").split(" ")
    assert all(w in {"the", "invoice"} or w.startswith(("word", "more")) for w in words)
    assert words[0] in before.split(" ")
    assert words[-1] in after.split(" ")


def test_a_match_behind_a_long_token_is_still_shown() -> None:
    address = "https://example.com/" + "a" * 300
    pieces = excerpt(f"{address}{OPEN}invoice{CLOSE} wrong")
    assert ("invoice", True) in pieces
